/*
 * The seed scenario through the C interface: a REGISTER with a valid HS256 token is
 * forwarded as an Annex U REGISTER, one with a bad signature is answered 401 on the same
 * flow, and the core's 200 OK (built on the forwarded request's top Via branch) is
 * relayed to the flow. Outputs are compared byte for byte with tests/c/expected/.
 * Then what follows the registration: an originating MESSAGE (identity asserted, from the
 * registered flow only), a terminating INVITE along the Path delivered on the flow, and
 * 430 Flow Failed once the flow is closed.
 * Also: error reporting, key rotation, and concurrent use of one edge from threads.
 *
 * Usage: edge_test <directory holding input/ and expected/>
 */
#define _GNU_SOURCE /* memmem */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sip_oauth.h"

/* 2027-01-15T08:00:00Z; the test token expires one hour later. */
#define NOW 1800000000
#define FLOW 7
#define THREADS 4
#define ROUNDS 25

static const char *EDGE_JSON =
    "{\"home_domain\": \"ims.mnc001.mcc001.3gppnetwork.org\","
    " \"edge_host\": \"pcscf.visited.example:5060\","
    " \"flow_key\": {\"hex\": \"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\"},"
    " \"visited_network_id\": \"visited.example\"}";

/* The secret the test tokens were signed with (HS256). */
static const char *VALIDATOR_JSON =
    "{\"key\": {\"hmac_secret\": {\"text\": \"capi-example-secret-0123456789abcdef\"}},"
    " \"algorithms\": [\"HS256\"],"
    " \"issuer\": \"https://waf.operator.example\","
    " \"audience\": \"sip:ims.mnc001.mcc001.3gppnetwork.org\","
    " \"required_scopes\": [\"sip:register\"],"
    " \"leeway_seconds\": 30}";

/* The same secret as an RFC 7517 oct key, and another one. */
static const char *JWKS_SAME =
    "{\"keys\": [{\"kty\": \"oct\", \"alg\": \"HS256\","
    " \"k\": \"Y2FwaS1leGFtcGxlLXNlY3JldC0wMTIzNDU2Nzg5YWJjZGVm\"}]}";
static const char *JWKS_OTHER =
    "{\"keys\": [{\"kty\": \"oct\", \"alg\": \"HS256\","
    " \"k\": \"b3RoZXItc2VjcmV0LW90aGVyLXNlY3JldC1vdGhlci1zZWNyZXQ\"}]}";

static int failures = 0;

#define CHECK(cond)                                                             \
    do {                                                                        \
        if (!(cond)) {                                                          \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__,    \
                    #cond);                                                     \
            failures++;                                                         \
        }                                                                       \
    } while (0)

struct buf {
    unsigned char *data;
    size_t len;
};

static struct buf read_file(const char *dir, const char *name)
{
    struct buf b = {NULL, 0};
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        fprintf(stderr, "cannot open %s\n", path);
        exit(2);
    }
    size_t cap = 4096;
    b.data = malloc(cap);
    size_t n;
    while (b.data != NULL && (n = fread(b.data + b.len, 1, cap - b.len, f)) > 0) {
        b.len += n;
        if (b.len == cap) {
            cap *= 2;
            unsigned char *grown = realloc(b.data, cap);
            if (grown == NULL) {
                free(b.data);
                b.data = NULL;
            }
            b.data = grown;
        }
    }
    fclose(f);
    if (b.data == NULL) {
        fprintf(stderr, "out of memory reading %s\n", path);
        exit(2);
    }
    return b;
}

static int same_bytes(const sip_oauth_decision *d, const struct buf *expected,
                      const char *what)
{
    const uint8_t *out = sip_oauth_decision_bytes(d);
    size_t len = sip_oauth_decision_len(d);
    if (out == NULL || len != expected->len || memcmp(out, expected->data, len) != 0) {
        fprintf(stderr, "%s differs from the expected file; got %zu bytes:\n%.*s\n", what,
                len, (int)len, out == NULL ? "" : (const char *)out);
        return 0;
    }
    return 1;
}

/* Whether the decision's bytes contain `needle`. */
static int contains(const sip_oauth_decision *d, const char *needle)
{
    const uint8_t *out = sip_oauth_decision_bytes(d);
    size_t len = sip_oauth_decision_len(d), n = strlen(needle);
    for (size_t i = 0; out != NULL && i + n <= len; i++) {
        if (memcmp(out + i, needle, n) == 0) {
            return 1;
        }
    }
    return 0;
}

static sip_oauth_decision *request(const sip_oauth_edge *edge, const struct buf *msg)
{
    sip_oauth_decision *d = NULL;
    char *error = NULL;
    int rc = sip_oauth_edge_on_request(edge, msg->data, msg->len, FLOW, "198.51.100.7",
                                       50312, SIP_OAUTH_TRANSPORT_WSS, NOW, NULL, &d,
                                       &error);
    if (rc != SIP_OAUTH_OK) {
        fprintf(stderr, "on_request failed (%d): %s\n", rc, error ? error : "?");
        sip_oauth_string_free(error);
        exit(1);
    }
    CHECK(error == NULL);
    return d;
}

/* The 200 OK template with its top Via branch replaced by the forwarded request's. */
static struct buf ok_for(const sip_oauth_decision *fwd, const struct buf *tmpl)
{
    const char *placeholder = "branch=z9hG4bKedge.1";
    const char *out = (const char *)sip_oauth_decision_bytes(fwd);
    size_t len = sip_oauth_decision_len(fwd);
    /* The edge's own Via is the first one of the forwarded request. */
    const char *via = memmem(out, len, "\r\nVia: ", 7);
    const char *branch = via ? memmem(via, len - (size_t)(via - out), "branch=", 7) : NULL;
    const char *end = branch ? memmem(branch, len - (size_t)(branch - out), "\r\n", 2) : NULL;
    const char *at = memmem(tmpl->data, tmpl->len, placeholder, strlen(placeholder));
    if (end == NULL || at == NULL) {
        fprintf(stderr, "no branch to copy\n");
        exit(1);
    }
    size_t blen = (size_t)(end - branch), head = (size_t)(at - (const char *)tmpl->data);
    size_t tail = tmpl->len - head - strlen(placeholder);
    struct buf ok = {malloc(head + blen + tail), head + blen + tail};
    if (ok.data == NULL) {
        exit(2);
    }
    memcpy(ok.data, tmpl->data, head);
    memcpy(ok.data + head, branch, blen);
    memcpy(ok.data + head + blen, at + strlen(placeholder), tail);
    return ok;
}

/* A request of `flow` (a client) to the edge. */
static sip_oauth_decision *client_request(const sip_oauth_edge *edge, const char *text,
                                          uint64_t flow)
{
    sip_oauth_decision *d = NULL;
    int rc = sip_oauth_edge_on_request(edge, (const uint8_t *)text, strlen(text), flow,
                                       "198.51.100.7", 50312, SIP_OAUTH_TRANSPORT_WSS, NOW,
                                       NULL, &d, NULL);
    CHECK(rc == SIP_OAUTH_OK);
    return d;
}

static const char *MESSAGE =
    "MESSAGE sip:alice@ims.mnc001.mcc001.3gppnetwork.org SIP/2.0\r\n"
    "Via: SIP/2.0/WSS 8h2kqv9r1c4p.invalid;branch=z9hG4bKm1\r\n"
    "Max-Forwards: 70\r\nTo: <sip:alice@ims.mnc001.mcc001.3gppnetwork.org>\r\n"
    "From: <sip:bob@ims.mnc001.mcc001.3gppnetwork.org>;tag=m\r\nCall-ID: m1\r\n"
    "CSeq: 1 MESSAGE\r\nP-Asserted-Identity: <sip:ceo@ims.mnc001.mcc001.3gppnetwork.org>\r\n"
    "Content-Type: text/plain\r\nContent-Length: 2\r\n\r\nhi";

/* What follows the registration of FLOW: `fwd` is the forwarded REGISTER (its Path). */
static void after_register(const sip_oauth_edge *edge, const sip_oauth_decision *fwd)
{
    CHECK(sip_oauth_edge_registrations(edge) == 1);
    CHECK(sip_oauth_edge_next_expiry(edge) == NOW + 3600);

    /* Originating: forwarded to the core with the identity the edge asserts. */
    sip_oauth_decision *m = client_request(edge, MESSAGE, FLOW);
    CHECK(sip_oauth_decision_action(m) == SIP_OAUTH_ACTION_FORWARD);
    CHECK(contains(m, "\r\nP-Asserted-Identity: <sip:bob@ims.mnc001.mcc001.3gppnetwork.org>\r\n"));
    CHECK(contains(m, "\r\nRoute: <sip:orig@scscf1.ims.mnc001.mcc001.3gppnetwork.org;lr>\r\n"));
    CHECK(!contains(m, "ceo@"));
    CHECK(strstr(sip_oauth_decision_detail_json(m), "\"asserted\":\"sip:bob@") != NULL);
    sip_oauth_decision_free(m);
    /* From a connection that registered nothing: 403 on that connection. */
    m = client_request(edge, MESSAGE, FLOW + 1);
    CHECK(sip_oauth_decision_action(m) == SIP_OAUTH_ACTION_REPLY);
    CHECK(sip_oauth_decision_flow(m) == FLOW + 1);
    CHECK(sip_oauth_decision_status(m) == 403);
    sip_oauth_decision_free(m);

    /* Terminating: an INVITE from the core along the Path reaches FLOW. */
    const char *out = (const char *)sip_oauth_decision_bytes(fwd);
    size_t len = sip_oauth_decision_len(fwd);
    const char *path = memmem(out, len, "\r\nPath: <", 9);
    const char *end = path ? memmem(path, len - (size_t)(path - out), ">", 1) : NULL;
    CHECK(end != NULL);
    if (end == NULL) {
        return;
    }
    char invite[1024];
    int n = snprintf(invite, sizeof invite,
                     "INVITE sip:r2b6v7cq@8h2kqv9r1c4p.invalid;transport=ws SIP/2.0\r\n"
                     "Via: SIP/2.0/UDP scscf1.ims.mnc001.mcc001.3gppnetwork.org;branch=z9hG4bKc1\r\n"
                     "Max-Forwards: 69\r\nRoute: %.*s>\r\n"
                     "To: <sip:bob@ims.mnc001.mcc001.3gppnetwork.org>\r\n"
                     "From: <sip:alice@ims.mnc001.mcc001.3gppnetwork.org>;tag=a\r\n"
                     "Call-ID: t1\r\nCSeq: 1 INVITE\r\nContact: <sip:alice@192.0.2.9>\r\n"
                     "Content-Length: 0\r\n\r\n",
                     (int)(end - path - 8), path + 8);
    CHECK(n > 0 && (size_t)n < sizeof invite);
    sip_oauth_decision *t = NULL;
    CHECK(sip_oauth_edge_on_core_request(edge, (const uint8_t *)invite, (size_t)n, NOW, &t,
                                         NULL) == SIP_OAUTH_OK);
    CHECK(sip_oauth_decision_action(t) == SIP_OAUTH_ACTION_REPLY);
    CHECK(sip_oauth_decision_flow(t) == FLOW);
    CHECK(contains(t, "\r\nVia: SIP/2.0/WSS pcscf.visited.example:5060;branch=z9hG4bKot"));
    CHECK(contains(t, "\r\nRecord-Route: <sip:r"));
    CHECK(!contains(t, "\r\nRoute:"));
    sip_oauth_decision_free(t);

    /* The flow closes: the same INVITE gets 430 Flow Failed, sent back to the core. */
    CHECK(sip_oauth_edge_flow_closed(edge, FLOW) == 1);
    CHECK(sip_oauth_edge_registrations(edge) == 0);
    CHECK(sip_oauth_edge_next_expiry(edge) == 0);
    CHECK(sip_oauth_edge_on_core_request(edge, (const uint8_t *)invite, (size_t)n, NOW, &t,
                                         NULL) == SIP_OAUTH_OK);
    CHECK(sip_oauth_decision_action(t) == SIP_OAUTH_ACTION_FORWARD);
    CHECK(sip_oauth_decision_status(t) == 430);
    CHECK(contains(t, "SIP/2.0 430 Flow Failed\r\n"));
    sip_oauth_decision_free(t);
    CHECK(sip_oauth_edge_sweep(edge, NOW) == 0);
    CHECK(sip_oauth_edge_sweep(NULL, NOW) == 0);
}

static void errors_are_reported(void)
{
    sip_oauth_edge *edge = (sip_oauth_edge *)1;
    char *error = NULL;
    int rc = sip_oauth_edge_new("{not json", VALIDATOR_JSON, &edge, &error);
    CHECK(rc == SIP_OAUTH_ERR_JSON);
    CHECK(edge == NULL);
    CHECK(error != NULL && strlen(error) > 0);
    sip_oauth_string_free(error);

    rc = sip_oauth_edge_new(EDGE_JSON, "{\"key\": {\"hmac_secret\": {\"text\": \"short\"}}}",
                            &edge, &error);
    CHECK(rc == SIP_OAUTH_ERR_KEYS);
    CHECK(edge == NULL);
    sip_oauth_string_free(error);

    rc = sip_oauth_edge_new(NULL, VALIDATOR_JSON, &edge, NULL);
    CHECK(rc == SIP_OAUTH_ERR_NULL);

    sip_oauth_decision *d = (sip_oauth_decision *)1;
    rc = sip_oauth_edge_on_request(NULL, (const uint8_t *)"x", 1, 1, "192.0.2.1", 5060,
                                   SIP_OAUTH_TRANSPORT_UDP, NOW, NULL, &d, NULL);
    CHECK(rc == SIP_OAUTH_ERR_NULL);
    CHECK(d == NULL);
    CHECK(sip_oauth_decision_action(NULL) == SIP_OAUTH_ACTION_NONE);
    CHECK(sip_oauth_decision_bytes(NULL) == NULL);
    CHECK(sip_oauth_decision_reason(NULL) == NULL);
    sip_oauth_decision_free(NULL);
    sip_oauth_edge_free(NULL);
    sip_oauth_string_free(NULL);
}

struct worker {
    const sip_oauth_edge *edge;
    const struct buf *valid, *bad, *forwarded, *reply;
    int ok;
};

static void *work(void *arg)
{
    struct worker *w = arg;
    w->ok = 1;
    for (int i = 0; i < ROUNDS; i++) {
        sip_oauth_decision *a = request(w->edge, w->valid);
        sip_oauth_decision *b = request(w->edge, w->bad);
        w->ok &= sip_oauth_decision_action(a) == SIP_OAUTH_ACTION_FORWARD &&
                 same_bytes(a, w->forwarded, "threaded forward");
        w->ok &= sip_oauth_decision_action(b) == SIP_OAUTH_ACTION_REPLY &&
                 same_bytes(b, w->reply, "threaded reply");
        sip_oauth_decision_free(a);
        sip_oauth_decision_free(b);
    }
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s <tests/c directory>\n", argv[0]);
        return 2;
    }
    const char *dir = argv[1];
    struct buf valid = read_file(dir, "input/register_valid.sip");
    struct buf bad = read_file(dir, "input/register_bad_token.sip");
    struct buf ok_tmpl = read_file(dir, "input/ok_from_scscf.sip");
    struct buf exp_fwd = read_file(dir, "expected/forward_register.sip");
    struct buf exp_401 = read_file(dir, "expected/reply_401_bad_token.sip");
    struct buf exp_200 = read_file(dir, "expected/relay_200_ok.sip");

    CHECK(strlen(sip_oauth_version()) > 0);
    errors_are_reported();

    sip_oauth_edge *edge = NULL;
    char *error = NULL;
    int rc = sip_oauth_edge_new(EDGE_JSON, VALIDATOR_JSON, &edge, &error);
    if (rc != SIP_OAUTH_OK) {
        fprintf(stderr, "sip_oauth_edge_new failed (%d): %s\n", rc, error ? error : "?");
        sip_oauth_string_free(error);
        return 1;
    }

    /* A valid token: forwarded as the Annex U REGISTER, without the token. */
    sip_oauth_decision *fwd = request(edge, &valid);
    CHECK(sip_oauth_decision_action(fwd) == SIP_OAUTH_ACTION_FORWARD);
    CHECK(same_bytes(fwd, &exp_fwd, "forwarded REGISTER"));
    CHECK(contains(fwd, "integrity-protected=\"auth-done\""));
    CHECK(!contains(fwd, "Bearer"));
    CHECK(strstr(sip_oauth_decision_detail_json(fwd),
                 "\"impi\":\"bob@ims.mnc001.mcc001.3gppnetwork.org\"") != NULL);

    /* A bad signature: 401 with an invalid_token challenge, on the same flow. */
    sip_oauth_decision *rej = request(edge, &bad);
    CHECK(sip_oauth_decision_action(rej) == SIP_OAUTH_ACTION_REPLY);
    CHECK(sip_oauth_decision_flow(rej) == FLOW);
    CHECK(sip_oauth_decision_status(rej) == 401);
    CHECK(same_bytes(rej, &exp_401, "401 reply"));
    CHECK(strstr(sip_oauth_decision_reason(rej), "bad signature") != NULL);

    /* The core's 200 OK comes back through the edge's Via: relayed to the flow. */
    struct buf ok = ok_for(fwd, &ok_tmpl);
    sip_oauth_decision *rel = NULL;
    rc = sip_oauth_edge_on_response(edge, ok.data, ok.len, NOW, &rel, NULL);
    CHECK(rc == SIP_OAUTH_OK);
    CHECK(sip_oauth_decision_action(rel) == SIP_OAUTH_ACTION_REPLY);
    CHECK(sip_oauth_decision_flow(rel) == FLOW);
    CHECK(sip_oauth_decision_status(rel) == 200);
    CHECK(same_bytes(rel, &exp_200, "relayed 200 OK"));
    CHECK(strstr(sip_oauth_decision_detail_json(rel),
                 "\"service_route\":[\"sip:orig@scscf1.ims.mnc001.mcc001.3gppnetwork.org;lr\"]") !=
          NULL);

    after_register(edge, fwd);

    /* A tampered branch is dropped. */
    unsigned char *b = memmem(ok.data, ok.len, "branch=z9hG4bKoa", 16);
    CHECK(b != NULL);
    if (b != NULL) {
        b[16] = b[16] == 'A' ? 'B' : 'A';
        sip_oauth_decision *dropped = NULL;
        rc = sip_oauth_edge_on_response(edge, ok.data, ok.len, NOW, &dropped, NULL);
        CHECK(rc == SIP_OAUTH_OK);
        CHECK(sip_oauth_decision_action(dropped) == SIP_OAUTH_ACTION_DROP);
        CHECK(sip_oauth_decision_bytes(dropped) == NULL);
        sip_oauth_decision_free(dropped);
    }

    /* Key rotation: another key refuses the token, the original key admits it again, and
     * a broken set leaves the keys in place. */
    CHECK(sip_oauth_edge_replace_jwks(edge, JWKS_OTHER, NULL) == SIP_OAUTH_OK);
    sip_oauth_decision *d = request(edge, &valid);
    CHECK(sip_oauth_decision_status(d) == 401);
    sip_oauth_decision_free(d);
    CHECK(sip_oauth_edge_replace_jwks(edge, JWKS_SAME, NULL) == SIP_OAUTH_OK);
    rc = sip_oauth_edge_replace_jwks(edge, "{\"keys\": []}", &error);
    CHECK(rc == SIP_OAUTH_ERR_KEYS);
    sip_oauth_string_free(error);
    d = request(edge, &valid);
    CHECK(sip_oauth_decision_action(d) == SIP_OAUTH_ACTION_FORWARD);
    sip_oauth_decision_free(d);

    /* One edge, several threads at once. */
    pthread_t threads[THREADS];
    struct worker workers[THREADS];
    for (int i = 0; i < THREADS; i++) {
        workers[i] = (struct worker){edge, &valid, &bad, &exp_fwd, &exp_401, 0};
        CHECK(pthread_create(&threads[i], NULL, work, &workers[i]) == 0);
    }
    for (int i = 0; i < THREADS; i++) {
        CHECK(pthread_join(threads[i], NULL) == 0);
        CHECK(workers[i].ok);
    }

    sip_oauth_decision_free(fwd);
    sip_oauth_decision_free(rej);
    sip_oauth_decision_free(rel);
    sip_oauth_edge_free(edge);
    free(ok.data);
    free(valid.data);
    free(bad.data);
    free(ok_tmpl.data);
    free(exp_fwd.data);
    free(exp_401.data);
    free(exp_200.data);

    if (failures > 0) {
        fprintf(stderr, "%d check(s) failed\n", failures);
        return 1;
    }
    printf("edge_test: all checks passed\n");
    return 0;
}
