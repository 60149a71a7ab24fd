/*
 * sip_oauth.h - C interface of the sip-oauth library.
 *
 * The library is the registration logic of a SIP edge proxy (an IMS eP-CSCF) that admits
 * WebRTC clients carrying OAuth 2.0 bearer tokens (RFC 8898): it validates the token of a
 * client REGISTER and builds the 3GPP TS 33.203 Annex U REGISTER for the S-CSCF
 * (Authorization: Digest ... integrity-protected="auth-done", no token), answers bad
 * requests with a Bearer challenge, and relays the core's responses back to the client's
 * flow. It is sans-IO: no sockets, clocks, threads or randomness inside. The host stack
 * passes message bytes plus their context and sends the bytes it gets back.
 *
 * Build: cargo rustc --lib --release --features capi --crate-type cdylib,staticlib
 * Link:  -lsip_oauth (shared), or libsip_oauth.a plus the system libraries listed by
 *        `cargo rustc ... -- --print native-static-libs` (typically -lgcc_s -lutil -lrt
 *        -lpthread -lm -ldl -lc).
 *
 * Conventions
 * - Functions returning int return SIP_OAUTH_OK (0) or a SIP_OAUTH_ERR_* code. On error
 *   any out-handle is set to NULL and, when out_error is not NULL, *out_error receives a
 *   message to free with sip_oauth_string_free (it is set to NULL on success).
 * - Strings are NUL-terminated UTF-8. Byte buffers are pointer + length; the pointer may
 *   be NULL only when the length is 0.
 * - Every handle and string the library returns is freed with its *_free function; all
 *   *_free functions accept NULL.
 * - No call lets a Rust panic escape: a library bug is reported as SIP_OAUTH_ERR_PANIC.
 *
 * Thread safety
 * - A sip_oauth_edge may be used from any number of threads at once:
 *   every sip_oauth_edge_* function except sip_oauth_edge_free is safe to call
 *   concurrently on the same handle (the edge keeps no per-transaction state; the
 *   registrations it holds are behind a lock, with O(1) lookups; key replacement is
 *   atomic). Only sip_oauth_edge_free must not race with other calls on that handle.
 * - A sip_oauth_decision belongs to the caller that received it; it may be passed to
 *   another thread, but must not be freed while another thread reads it.
 */
#ifndef SIP_OAUTH_H
#define SIP_OAUTH_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Result codes. */
enum sip_oauth_status {
    SIP_OAUTH_OK = 0,
    /* A required pointer argument was NULL. */
    SIP_OAUTH_ERR_NULL = 1,
    /* A string argument is not valid UTF-8. */
    SIP_OAUTH_ERR_UTF8 = 2,
    /* A JSON argument does not parse or has unknown or mistyped fields. */
    SIP_OAUTH_ERR_JSON = 3,
    /* A configuration value is refused (bad host, short flow key, bad claim names...). */
    SIP_OAUTH_ERR_CONFIG = 4,
    /* The verification keys are unusable (weak secret, bad PEM, no usable JWK...). */
    SIP_OAUTH_ERR_KEYS = 5,
    /* Another argument is out of range (transport, peer address, length, time). */
    SIP_OAUTH_ERR_ARGUMENT = 6,
    /* The library panicked (a bug); the call had no effect on the edge. */
    SIP_OAUTH_ERR_PANIC = 7
};

/* Transport a client request arrived on (the `transport` argument). */
enum sip_oauth_transport {
    SIP_OAUTH_TRANSPORT_UDP = 0,
    SIP_OAUTH_TRANSPORT_TCP = 1,
    SIP_OAUTH_TRANSPORT_TLS = 2,
    SIP_OAUTH_TRANSPORT_WS = 3,  /* WebSocket, RFC 7118 */
    SIP_OAUTH_TRANSPORT_WSS = 4  /* secure WebSocket, RFC 7118 */
};

/* What the caller must do with a message (sip_oauth_decision_action). */
enum sip_oauth_action {
    /* Only returned for a NULL decision. */
    SIP_OAUTH_ACTION_NONE = 0,
    /* Send the decision's bytes to the core: the Annex U REGISTER, a registered client's
     * request, a client's response, or the edge's answer to a core request (430...). */
    SIP_OAUTH_ACTION_FORWARD = 1,
    /* Send the decision's bytes down the client flow sip_oauth_decision_flow names
     * (the edge's own 4xx/483 with a Bearer challenge, a relayed core response, or a
     * request from the core for the client). */
    SIP_OAUTH_ACTION_REPLY = 2,
    /* (3 is not used.) */
    /* Send nothing; the reason says why (unparseable, not ours, tampered branch...). */
    SIP_OAUTH_ACTION_DROP = 4
};

/* An edge: configuration plus token validator. Opaque; thread-safe (see above). */
typedef struct SipOauthEdge sip_oauth_edge;

/* The outcome of one message. Opaque; read with the sip_oauth_decision_* accessors. */
typedef struct SipOauthDecision sip_oauth_decision;

/* The library version, a static string (do not free). */
const char *sip_oauth_version(void);

/* Frees a string returned through an out_error argument. NULL is a no-op. */
void sip_oauth_string_free(char *s);

/*
 * Creates an edge. `edge_json` configures the edge (the Rust `sip_oauth::spec::EdgeSpec`);
 * required fields:
 *   "home_domain"  home network domain (also the Digest realm unless "realm" is given)
 *   "edge_host"    this edge's host or host:port, written in its Via and Path
 *   "flow_key"     secret of at least 16 bytes protecting the flow tokens in the edge's
 *                  Via branch and Path: {"hex": "..."} | {"base64": "..."} | {"text": "..."}
 *                  | {"file": "/path"}
 * optional fields:
 *   "realm", "visited_network_id" (P-Visited-Network-ID), "orig_ioi" (P-Charging-Vector),
 *   "core_transport": "udp" | "tcp" | "tls" | "ws" | "wss" (Via toward the core),
 *   "token_location": "authorization" (default, RFC 8898) | "proxy-authorization" |
 *       "transport" | "any" | "header:NAME" | "auth-param:NAME" | "proxy-auth-param:NAME" |
 *       "uri-param:NAME" | "contact-uri-param:NAME" | a comma list or an array of these
 *       (first match wins); the older spellings "authorization_bearer",
 *       "proxy_authorization_bearer", {"header": "X-Token"},
 *       {"auth_param": {"header": "authorization" | "proxy_authorization", "param": "..."}},
 *       {"request_uri_param": "..."}, {"contact_uri_param": "..."}, {"first_of": [...]}
 *       are still accepted,
 *   "expiry_policy": "cap" (default) | "reject" | "ignore",
 *   "auth_entity": "omit" | "auth-param:NAME" | "header:NAME" (or {"auth_param": "name"},
 *       {"header": "Name"}),
 *   "challenge_scope", "authz_server" (added to Bearer challenges), "reply_to_tag",
 *   "previous_flow_key" (the flow key before a rotation, still accepted; same forms as
 *       "flow_key"),
 *   "epoch" (an unsigned integer drawn anew at every start of the host, e.g. from the
 *       clock and the process id; flow tokens of another epoch are refused; default 0),
 *   "allow_insecure_transport" (true: tokens also over UDP, TCP and WS; default false:
 *       only over TLS or WSS, RFC 6750 5.3),
 *   "also_home_domains": ["..."] (further home domains; a REGISTER for any other is refused),
 *   "min_token_lifetime_seconds": n (refuse registrations whose token expires sooner; 60),
 *   "limits": {"max_message_bytes": n, "max_headers": n, "max_line_bytes": n} (n > 0).
 * `validator_json` configures the JWT validator (the Rust `sip_oauth::spec::JwtSpec`);
 * required fields:
 *   "key": {"hmac_secret": {"hex"|"base64"|"text"|"file": "..."}} | {"pem": "-----BEGIN ..."} |
 *          {"pem_file": "/path"} | {"der_file": "/path"} | {"jwks": {"keys": [...]}} |
 *          {"jwks_file": "/path"}
 *   "audience": a string or an array of strings (the aud values accepted), unless
 *       "allow_any_audience": true (then only tokens naming no audience are accepted)
 * optional fields:
 *   "algorithms": ["HS256", "RS256", ...] (default: all that fit the keys; never "none"),
 *   "issuer", "required_scopes": a string or an array of strings,
 *   "max_keys_without_kid": n (keys a token whose kid selects none is checked against, the
 *       first that fit its alg; default 1, n > 0),
 *   "confine": {"impi_realms": [...], "impu_domains": [...], "tel_prefixes": [...]} (the
 *       identities this issuer may vouch for; each list given restricts; others: 403),
 *   "leeway_seconds" (default 30, at most 3600), "require_exp" (default true),
 *   "require_at_jwt" (default false), "max_token_bytes" (default 8192),
 *   "backend": "aws_lc" | "rust_crypto" (those compiled in),
 *   "claims": {"impi": name or [names] (default ["impi", "sub"]), "impus": name or null,
 *              "require_impus": bool, "wwsf": name or null,
 *              "auth_entity": "none" | "issuer" | "claim:NAME" | "fixed:VALUE"
 *                             (or {"claim": "..."}, {"fixed": "..."})}.
 * Unknown fields are errors; error messages name the field. On success *out_edge holds
 * the edge (free it with sip_oauth_edge_free).
 */
int sip_oauth_edge_new(const char *edge_json, const char *validator_json,
                       sip_oauth_edge **out_edge, char **out_error);

/* Frees an edge. NULL is a no-op. Must not race with other calls on the same edge. */
void sip_oauth_edge_free(sip_oauth_edge *edge);

/*
 * Hands a client request to the edge.
 *   bytes, len       one whole SIP message (a WebSocket message, a UDP datagram or one
 *                    framed message of a stream); copied, so the buffer may be reused
 *                    as soon as the call returns
 *   flow             the caller's id of the client connection, handed back with replies
 *   peer_addr        the client's IP address as seen by the transport ("192.0.2.1",
 *                    "2001:db8::1" or "[2001:db8::1]"), for Via received/rport
 *   peer_port        the client's port
 *   transport        a SIP_OAUTH_TRANSPORT_* value; a REGISTER over UDP, TCP or WS is
 *                    refused with 403 (RFC 6750 5.3) unless the edge's JSON says
 *                    "allow_insecure_transport": true
 *   now              current time, seconds since the Unix epoch (checked against the
 *                    token's exp/nbf)
 *   transport_token  a token obtained by the transport (e.g. from the WebSocket
 *                    handshake), used with token_location "transport"; or NULL
 * On success *out_decision holds the decision (free it with sip_oauth_decision_free).
 * Malformed or hostile input is not an error: it yields a REPLY (4xx) or DROP decision.
 */
int sip_oauth_edge_on_request(const sip_oauth_edge *edge, const uint8_t *bytes, size_t len,
                              uint64_t flow, const char *peer_addr, uint16_t peer_port,
                              int transport, int64_t now, const char *transport_token,
                              sip_oauth_decision **out_decision, char **out_error);

/*
 * Hands a response from the core to the edge at `now` (seconds since the Unix epoch).
 * The decision is a REPLY to the client flow recovered from the edge's own Via branch
 * (integrity-protected with the flow key), with the edge's Via removed and the response
 * filtered as TS 24.229 5.2.2 has the P-CSCF filter what goes to the UE (ck and ik
 * removed from challenges, P-Charging-Vector and P-Charging-Function-Addresses removed, a
 * 401/407 without a Bearer challenge answered 403, a 423 whose Min-Expires exceeds the
 * token's remaining lifetime answered 401 error="invalid_token"), or a DROP (not ours,
 * tampered, malformed, 100 Trying...).
 */
int sip_oauth_edge_on_response(const sip_oauth_edge *edge, const uint8_t *bytes, size_t len,
                               int64_t now, sip_oauth_decision **out_decision,
                               char **out_error);

/*
 * Hands a request from the core to the edge at `now` (RFC 5626 5.3). One whose top Route
 * (or Request-URI) is the edge's Path or Record-Route URI with a valid flow token is a
 * REPLY: send it down the client flow sip_oauth_decision_flow names. A flow that is gone
 * (closed, its registration ended, or from an earlier start of the edge) gives a FORWARD
 * of the edge's 430 Flow Failed back to the core; a token that does not verify a DROP.
 */
int sip_oauth_edge_on_core_request(const sip_oauth_edge *edge, const uint8_t *bytes,
                                   size_t len, int64_t now, sip_oauth_decision **out_decision,
                                   char **out_error);

/*
 * Hands a client's response (to a request the core sent it) to the edge, with the
 * context of sip_oauth_edge_on_request. FORWARD: send it to the core (the edge's Via
 * removed, the registered identity asserted); DROP otherwise.
 */
int sip_oauth_edge_on_client_response(const sip_oauth_edge *edge, const uint8_t *bytes,
                                      size_t len, uint64_t flow, const char *peer_addr,
                                      uint16_t peer_port, int transport, int64_t now,
                                      sip_oauth_decision **out_decision, char **out_error);

/* The client connection `flow` closed: its registrations end. Returns how many. */
size_t sip_oauth_edge_flow_closed(const sip_oauth_edge *edge, uint64_t flow);

/* Removes the registrations that ended at or before `now`. Returns how many went. */
size_t sip_oauth_edge_sweep(const sip_oauth_edge *edge, int64_t now);

/* When the next registration ends (seconds since the Unix epoch); 0 when none. */
int64_t sip_oauth_edge_next_expiry(const sip_oauth_edge *edge);

/* How many registrations (and REGISTERs awaiting the core's answer) the edge holds. */
size_t sip_oauth_edge_registrations(const sip_oauth_edge *edge);

/*
 * Replaces the validator's keys with the JWK Set `jwks_json` (RFC 7517 section 5), for
 * key rotation. Requests being checked concurrently finish with the old keys; on error
 * the old keys stay in use.
 */
int sip_oauth_edge_replace_jwks(const sip_oauth_edge *edge, const char *jwks_json,
                                char **out_error);

/* The action, a SIP_OAUTH_ACTION_* value (SIP_OAUTH_ACTION_NONE for NULL). */
int sip_oauth_decision_action(const sip_oauth_decision *d);

/* For a REPLY, the client flow to send it on; 0 otherwise. */
uint64_t sip_oauth_decision_flow(const sip_oauth_decision *d);

/* For a REPLY, its SIP status code; 0 otherwise. */
int sip_oauth_decision_status(const sip_oauth_decision *d);

/* The bytes to send (FORWARD or REPLY), valid until the decision is freed; NULL when
 * there is nothing to send. Not NUL-terminated: use sip_oauth_decision_len. */
const uint8_t *sip_oauth_decision_bytes(const sip_oauth_decision *d);

/* The length of sip_oauth_decision_bytes. */
size_t sip_oauth_decision_len(const sip_oauth_decision *d);

/* A one-line reason for logs (never containing the token), valid until the decision is
 * freed, e.g. "401 Unauthorized: token refused: bad signature". */
const char *sip_oauth_decision_reason(const sip_oauth_decision *d);

/* Details as a JSON object, valid until the decision is freed:
 *   FORWARD: {"impi": "...", "aor": "...", "expires": n | null}
 *   REPLY:   {"rejected": true, "bearer_error": "invalid_token" | ... | null} or
 *            {"rejected": false, "registered": null | {"aor": "...",
 *             "service_route": [...], "associated_uris": [...],
 *             "contacts": [{"uri": "...", "expires": n}]}}
 *            (after a 2xx to REGISTER, the state TS 24.229 has the P-CSCF store)
 *   otherwise: {} */
const char *sip_oauth_decision_detail_json(const sip_oauth_decision *d);

/* Frees a decision. NULL is a no-op. */
void sip_oauth_decision_free(sip_oauth_decision *d);

#ifdef __cplusplus
}
#endif

#endif /* SIP_OAUTH_H */
