//! Why a token was refused, and how the edge answers (RFC 6750 section 3.1, RFC 8898 section 2).
//!
//! RFC 6750 section 3.1 defines three `error` codes for a Bearer challenge. The edge maps them
//! onto SIP the way RFC 8898 section 2 maps them onto HTTP: `invalid_request` is answered with
//! 400, `invalid_token` with 401 and a fresh challenge, `insufficient_scope` with 403. RFC 6750
//! section 5 forbids leaking the token, so the descriptions here are fixed texts.

use crate::identity::IdentityError;

/// An RFC 6750 section 3.1 error code for the `error` auth-param of a Bearer challenge.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BearerError {
    /// `invalid_request`: the request is malformed (here: the token is not even a `b64token`).
    InvalidRequest,
    /// `invalid_token`: expired, malformed, wrongly signed or otherwise unacceptable token.
    InvalidToken,
    /// `insufficient_scope`: the token is valid but does not grant the scope needed.
    InsufficientScope,
}

impl BearerError {
    /// The code as written in the `error` auth-param.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvalidRequest => "invalid_request",
            Self::InvalidToken => "invalid_token",
            Self::InsufficientScope => "insufficient_scope",
        }
    }

    /// The SIP status the edge answers with: 400, 401 or 403 (RFC 6750 section 3.1 via
    /// RFC 8898 section 2).
    pub fn sip_status(self) -> u16 {
        match self {
            Self::InvalidRequest => 400,
            Self::InvalidToken => 401,
            Self::InsufficientScope => 403,
        }
    }
}

impl std::fmt::Display for BearerError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a token was refused. Each variant names the rule that was broken; none carries any part
/// of the token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ValidationError {
    /// The token is empty or holds characters outside the RFC 6750 section 2.1 `b64token` set.
    #[error("token is not a b64token")]
    InvalidSyntax,
    /// The token is longer than the configured limit, checked before any decoding so that work
    /// per token stays bounded.
    #[error("token is {len} bytes, more than the limit of {max}")]
    Oversized {
        /// Length of the token presented.
        len: usize,
        /// The configured limit.
        max: usize,
    },
    /// The token is not a well-formed compact JWS (RFC 7515 section 7.1): wrong number of parts,
    /// bad base64url, bad JSON or a duplicate member.
    #[error("token is not a well-formed JWT")]
    Malformed,
    /// The token is an unsecured JWS (`alg: none`, RFC 7515 Appendix A.5), never accepted
    /// (RFC 8725 section 3.1).
    #[error("unsecured token (alg none)")]
    Unsecured,
    /// The `alg` is unknown or not in the allow-list.
    #[error("algorithm not allowed")]
    AlgorithmNotAllowed,
    /// The `alg` is allowed but does not fit the key the token names (RFC 8725 section 3.1,
    /// e.g. HS256 against an RSA public key).
    #[error("algorithm does not fit the key")]
    KeyMismatch,
    /// No key matches the token's `kid`.
    #[error("unknown key id")]
    UnknownKey,
    /// The signature does not verify.
    #[error("bad signature")]
    BadSignature,
    /// The header carries `crit` (RFC 7515 section 4.1.11): no extension is understood here.
    #[error("critical header extension not understood")]
    CriticalHeader,
    /// The `typ` header is not a JWT or RFC 9068 access token type, or `at+jwt` is required
    /// and absent (RFC 9068 section 4).
    #[error("wrong token type")]
    WrongType,
    /// `exp` has passed (RFC 7519 section 4.1.4).
    #[error("token expired")]
    Expired,
    /// `nbf` or `iat` lies in the future (RFC 7519 sections 4.1.5 and 4.1.6).
    #[error("token not yet valid")]
    NotYetValid,
    /// `iss` is absent or not an accepted issuer (RFC 7519 section 4.1.1).
    #[error("wrong issuer")]
    WrongIssuer,
    /// `aud` is absent or names none of the accepted audiences, or is present when no audience
    /// is configured (RFC 7519 section 4.1.3).
    #[error("wrong audience")]
    WrongAudience,
    /// A required claim is absent; the value names the role (`exp`, `impi`, `impus`).
    #[error("missing claim: {0}")]
    MissingClaim(&'static str),
    /// A claim has the wrong JSON type; the value names the role.
    #[error("claim has the wrong type: {0}")]
    InvalidClaim(&'static str),
    /// An identity claim fails the syntax check of [`crate::identity`].
    #[error("invalid identity in claim {claim}: {source}")]
    InvalidIdentity {
        /// The role of the claim (`impi`, `impus`, `wwsf`, `auth_entity`).
        claim: &'static str,
        /// The rule broken.
        source: IdentityError,
    },
    /// The token lacks scopes that are required (RFC 6750 section 3.1 `insufficient_scope`).
    #[error("insufficient scope")]
    InsufficientScope {
        /// Every scope the validator requires, for the `scope` auth-param of the challenge.
        required: Vec<String>,
    },
    /// A fixed-answer validator does not know the token.
    #[error("unknown token")]
    UnknownToken,
    /// The token names an identity its issuer may not vouch for: an IMPI realm, an IMPU
    /// domain or a telephone number outside the ones configured for that issuer (a
    /// third-party WAF confined to its own subscribers, [`crate::validate::Confined`]).
    #[error("{what} outside the issuer's confinement")]
    OutsideConfinement {
        /// Which identity: `impi`, `impu` or `tel impu`.
        what: &'static str,
    },
    /// The authorisation server says the token is not active (RFC 7662 section 2.2
    /// `"active": false`: revoked, expired, unknown or otherwise invalid).
    #[error("token not active")]
    Inactive,
    /// The token could not be judged now: the introspection endpoint (RFC 7662) is
    /// unreachable, too slow or failing. Answered 503 with Retry-After (RFC 3261 21.5.4);
    /// never admitted.
    #[error("token validation unavailable, retry after {retry_after} s")]
    Unavailable {
        /// Seconds the client should wait before trying again.
        retry_after: u32,
    },
}

impl ValidationError {
    /// The RFC 6750 section 3.1 error code.
    pub fn bearer_error(&self) -> BearerError {
        match self {
            Self::InvalidSyntax | Self::Oversized { .. } => BearerError::InvalidRequest,
            // RFC 6750 3.1: a valid token that does not grant this resource.
            Self::InsufficientScope { .. } | Self::OutsideConfinement { .. } => {
                BearerError::InsufficientScope
            }
            _ => BearerError::InvalidToken,
        }
    }

    /// The SIP status the edge should answer with: 400, 401 or 403, or 503 when the token
    /// could not be judged now ([`ValidationError::Unavailable`]).
    pub fn sip_status(&self) -> u16 {
        match self {
            Self::Unavailable { .. } => 503,
            _ => self.bearer_error().sip_status(),
        }
    }

    /// A fixed, safe text for `error_description` or a reason phrase: it never contains any
    /// part of the token, and only characters allowed in a quoted-string.
    pub fn description(&self) -> &'static str {
        match self {
            Self::InvalidSyntax => "The access token is not a valid bearer token",
            Self::Oversized { .. } => "The access token is too long",
            Self::Malformed => "The access token is malformed",
            Self::Unsecured => "Unsecured access tokens are not accepted",
            Self::AlgorithmNotAllowed => "The access token algorithm is not accepted",
            Self::KeyMismatch => "The access token algorithm does not match the key",
            Self::UnknownKey => "The access token key is unknown",
            Self::BadSignature => "The access token signature is invalid",
            Self::CriticalHeader => "The access token uses an unsupported critical extension",
            Self::WrongType => "The token is not an access token",
            Self::Expired => "The access token expired",
            Self::NotYetValid => "The access token is not yet valid",
            Self::WrongIssuer => "The access token issuer is not accepted",
            Self::WrongAudience => "The access token audience is not accepted",
            Self::MissingClaim(_) => "The access token lacks a required claim",
            Self::InvalidClaim(_) => "The access token has an invalid claim",
            Self::InvalidIdentity { .. } => "The access token carries an invalid identity",
            Self::InsufficientScope { .. } => "The access token does not grant the required scope",
            Self::UnknownToken => "The access token is not recognised",
            Self::OutsideConfinement { .. } => {
                "The access token issuer may not vouch for this identity"
            }
            Self::Inactive => "The access token is not active",
            Self::Unavailable { .. } => "The access token cannot be checked now; try again later",
        }
    }

    /// How far validation got before failing; a later stage means the token more likely
    /// belongs to the validator that produced the error. Used to pick the error to report when
    /// several validators refused the same token.
    pub(crate) fn stage(&self) -> u8 {
        match self {
            Self::InvalidSyntax | Self::Oversized { .. } | Self::Malformed | Self::UnknownToken => {
                0
            }
            Self::Unsecured
            | Self::AlgorithmNotAllowed
            | Self::CriticalHeader
            | Self::WrongType => 1,
            Self::KeyMismatch | Self::UnknownKey => 2,
            Self::BadSignature => 3,
            Self::WrongIssuer | Self::WrongAudience => 4,
            Self::Expired | Self::NotYetValid => 5,
            Self::MissingClaim(_) | Self::InvalidClaim(_) | Self::InvalidIdentity { .. } => 6,
            Self::InsufficientScope { .. } | Self::OutsideConfinement { .. } => 7,
            Self::Inactive => 6,
            // A token that could not be judged may still be good: asking again later is the
            // best answer to give when another validator refused it for its shape.
            Self::Unavailable { .. } => 8,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_to_rfc6750_codes_and_sip_status() {
        assert_eq!(
            ValidationError::InvalidSyntax.bearer_error().as_str(),
            "invalid_request"
        );
        assert_eq!(
            ValidationError::Oversized { len: 9, max: 8 }.sip_status(),
            400
        );
        assert_eq!(
            ValidationError::Expired.bearer_error(),
            BearerError::InvalidToken
        );
        assert_eq!(ValidationError::BadSignature.sip_status(), 401);
        let scope = ValidationError::InsufficientScope {
            required: vec!["sip".into()],
        };
        assert_eq!(scope.bearer_error().as_str(), "insufficient_scope");
        assert_eq!(scope.sip_status(), 403);
    }

    #[test]
    fn descriptions_are_quoted_string_safe() {
        let all = [
            ValidationError::InvalidSyntax,
            ValidationError::Malformed,
            ValidationError::Unsecured,
            ValidationError::MissingClaim("impi"),
            ValidationError::InsufficientScope { required: vec![] },
        ];
        for e in all {
            assert!(
                e.description()
                    .bytes()
                    .all(|b| (0x20..0x7f).contains(&b) && b != b'"')
            );
        }
    }
}
