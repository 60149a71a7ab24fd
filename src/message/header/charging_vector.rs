//! P-Charging-Vector (RFC 7315 section 4.6, which replaced RFC 3455 section 4.6; TS
//! 24.229 clause 7.2A.5): `icid-value` followed by charging parameters, all
//! `;`-separated `generic-param`s without a leading `;`.

use super::lex::trim;
use super::params::{Param, Params, Style};
use crate::message::ParseError;

/// A parsed P-Charging-Vector value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChargingVector<'a> {
    params: Params<'a>,
}

impl<'a> ChargingVector<'a> {
    /// Parses a P-Charging-Vector value; `icid-value` must be present.
    pub fn parse(value: &'a str) -> Result<Self, ParseError> {
        let (base, v) = trim(value);
        let params = Params::parse(v, base, Style::HeaderNoLead)?;
        let cv = Self { params };
        if cv.icid_value().is_none() {
            return Err(ParseError::expected("icid-value", base));
        }
        Ok(cv)
    }

    /// `icid-value`, the IMS charging identifier (quotes kept if quoted).
    pub fn icid_value(&self) -> Option<&'a str> {
        self.params.value("icid-value").flatten()
    }

    /// `orig-ioi`, the originating inter-operator identifier.
    pub fn orig_ioi(&self) -> Option<&'a str> {
        self.params.value("orig-ioi").flatten()
    }

    /// `term-ioi`, the terminating inter-operator identifier.
    pub fn term_ioi(&self) -> Option<&'a str> {
        self.params.value("term-ioi").flatten()
    }

    /// All parameters, `icid-value` included, in order.
    pub fn params(&self) -> impl Iterator<Item = Param<'a>> + use<'a> {
        self.params.iter()
    }

    /// The first parameter called `name` (case-insensitive).
    pub fn param(&self, name: &str) -> Option<Param<'a>> {
        self.params.get(name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vectors() {
        let v = " icid-value=1234bc9876e; icid-generated-at=192.0.2.1 ;orig-ioi=home1.net";
        let c = ChargingVector::parse(v).expect("valid");
        assert_eq!(c.icid_value(), Some("1234bc9876e"));
        assert_eq!(c.orig_ioi(), Some("home1.net"));
        assert_eq!(c.term_ioi(), None);
        assert_eq!(c.params().count(), 3);
        let g = c.param("icid-generated-at").expect("present");
        assert_eq!(&v[g.range], "icid-generated-at=192.0.2.1");
        assert_eq!(
            ChargingVector::parse("icid-value=\"AyretyU0dm+6O2IrT5tAFrbHLso=023551024\"")
                .map(|c| c.icid_value()),
            Ok(Some("\"AyretyU0dm+6O2IrT5tAFrbHLso=023551024\""))
        );
        for bad in [
            "",
            "orig-ioi=a",
            ";icid-value=1",
            "icid-value=1;",
            "icid-value=1 x",
        ] {
            assert!(ChargingVector::parse(bad).is_err(), "{bad:?}");
        }
    }
}
