//! Values with one textual spelling (`"header:X-Token"`), usable on a command line, that a
//! document may also write as a one-key map (`{"header": "X-Token"}`, the older C API form)
//! or, where it means something, as a list.

use std::fmt;
use std::marker::PhantomData;
use std::str::FromStr;

use serde::de::value::{MapAccessDeserializer, SeqAccessDeserializer};
use serde::de::{DeserializeOwned, Error, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer};

/// A value whose textual form is its [`FromStr`] grammar.
pub(crate) trait Textual: FromStr<Err = String> + Sized {
    /// The map spelling.
    type Map: DeserializeOwned;
    /// What the value looks like, for serde's "expected ..." messages.
    const EXPECTING: &'static str;
    /// Converts the map spelling.
    fn from_map(map: Self::Map) -> Result<Self, String>;
    /// Converts a list; most values have no list form.
    fn from_list(_items: Vec<Self>) -> Result<Self, String> {
        Err(format!("a list is not {}", Self::EXPECTING))
    }
}

/// Deserializes a [`Textual`] value from a string, a map or a list.
pub(crate) fn deserialize<'de, T: Textual, D: Deserializer<'de>>(d: D) -> Result<T, D::Error> {
    d.deserialize_any(TextVisitor(PhantomData))
}

/// One list element, deserialized with the same rules.
pub(crate) struct Item<T>(pub(crate) T);

impl<'de, T: Textual> Deserialize<'de> for Item<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        deserialize(d).map(Item)
    }
}

struct TextVisitor<T>(PhantomData<T>);

impl<'de, T: Textual> Visitor<'de> for TextVisitor<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(T::EXPECTING)
    }

    fn visit_str<E: Error>(self, v: &str) -> Result<T, E> {
        v.parse().map_err(E::custom)
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
        let map = T::Map::deserialize(MapAccessDeserializer::new(map))?;
        T::from_map(map).map_err(A::Error::custom)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<T, A::Error> {
        let items = Vec::<Item<T>>::deserialize(SeqAccessDeserializer::new(seq))?;
        T::from_list(items.into_iter().map(|i| i.0).collect()).map_err(A::Error::custom)
    }
}

/// Splits `kind:NAME` and checks that NAME is a SIP token (a header or parameter name).
pub(crate) fn named<'a>(text: &'a str, expecting: &str) -> Result<(String, &'a str), String> {
    let (kind, name) = text
        .split_once(':')
        .ok_or_else(|| format!("{text:?} is not {expecting}"))?;
    if !crate::message::header::is_token(name) {
        return Err(format!("{name:?} in {text:?} is not a SIP token"));
    }
    // `_` and `-` are the same in keywords, so the C API's snake_case names also read.
    Ok((kind.trim().replace('_', "-"), name))
}

/// A keyword with `_` read as `-`.
pub(crate) fn keyword(text: &str) -> String {
    text.trim().replace('_', "-")
}

/// Implements [`Deserialize`] through [`deserialize`] for a [`Textual`] type.
macro_rules! deserialize_textual {
    ($(#[$doc:meta])* $t:ty) => {
        $(#[$doc])*
        impl<'de> serde::Deserialize<'de> for $t {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                $crate::spec::text::deserialize(d)
            }
        }
    };
}
pub(crate) use deserialize_textual;
