/* kvb-emulator.h: the local Azure stand-in (Entra ID, Resource Manager, Key Vault) on loopback HTTPS.
 *
 * Runs in a thread of its own with its own GMainContext, so that tests and the offline sample cloud can
 * start it in-process. Knobs are set before kvb_emulator_start().
 */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

#define KVB_TYPE_EMULATOR (kvb_emulator_get_type ())
G_DECLARE_FINAL_TYPE (KvbEmulator, kvb_emulator, KVB, EMULATOR, GObject)

KvbEmulator *kvb_emulator_new (void);

/* knobs, set before start (also exposed as GObject properties and executable options): */
void kvb_emulator_set_seed_file (KvbEmulator *self, const char *path);   /* NULL: built-in sample */
void kvb_emulator_set_port (KvbEmulator *self, guint port);              /* 0: the system picks */
void kvb_emulator_set_proxy_enabled (KvbEmulator *self, gboolean enabled);
void kvb_emulator_set_proxy_port (KvbEmulator *self, guint port);        /* 0: the system picks */
void kvb_emulator_set_state_dir (KvbEmulator *self, const char *dir);    /* where ca.pem etc. go; NULL: a private temp dir removed on stop */
void kvb_emulator_set_certificate_files (KvbEmulator *self, const char *cert_pem, const char *key_pem); /* NULL: generate */
void kvb_emulator_set_latency_ms (KvbEmulator *self, guint ms);
void kvb_emulator_set_throttle (KvbEmulator *self, guint requests, guint window_seconds); /* default 4000 / 10 per vault; 0 = off */
void kvb_emulator_set_fault_rates (KvbEmulator *self, double http_5xx, double drop);     /* 0..1 */
void kvb_emulator_set_fault_drop_after_rate (KvbEmulator *self, double rate);  /* 0..1 */
void kvb_emulator_set_fault_cut_body_rate (KvbEmulator *self, double rate);   /* 0..1 */
void kvb_emulator_set_fault_retry_after (KvbEmulator *self, int seconds);  /* < 0: no header */
void kvb_emulator_set_token_lifetime (KvbEmulator *self, guint seconds);  /* default 3600 */
void kvb_emulator_set_log_file (KvbEmulator *self, const char *path);    /* JSON lines, secrets redacted */

gboolean kvb_emulator_start (KvbEmulator *self, GError **error);  /* returns once listening */
void kvb_emulator_stop (KvbEmulator *self);

const char *kvb_emulator_get_url (KvbEmulator *self);        /* "https://127.0.0.1:PORT" */
const char *kvb_emulator_get_proxy_url (KvbEmulator *self);  /* "http://127.0.0.1:PORT" or NULL */
const char *kvb_emulator_get_ca_file (KvbEmulator *self);    /* PEM of the test CA */
const char *kvb_emulator_get_client_certificate_file (KvbEmulator *self); /* sample service principal's PEM (cert + key) or NULL */
char *kvb_emulator_dup_info_json (KvbEmulator *self);        /* the start-up line */

G_END_DECLS
