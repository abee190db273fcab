/* kvb-emu-keyvault-private.h: the data plane's object store, shared by its source files. */
#pragma once

#include <gnutls/gnutls.h>
#include <gnutls/abstract.h>

#include "kvb-emu-keyvault.h"

G_BEGIN_DECLS

typedef enum
{
  KVB_KIND_SECRET,
  KVB_KIND_KEY,
  KVB_KIND_CERT,
  KVB_N_KINDS
} KvbKind;

typedef struct
{
  char *id;               /* 32 hex digits */
  gboolean enabled;
  gint64 nbf, exp;        /* Unix seconds, 0: absent */
  gint64 created, updated;
  JsonObject *tags;       /* NULL: none */
  char *content_type;     /* secrets */
  char *value;            /* secrets */
  JsonObject *jwk;        /* keys: public members only, no "kid" */
  char *cer;              /* certificates: standard base64 of the DER */
  char *x5t;              /* certificates: base64url SHA-1 of the DER */
  JsonObject *policy;     /* certificates: without "id" */
  char *pfx_cer, *pfx_key; /* a seeded certificate's secret: base64 DER of the certificate and its
                              PKCS#8 key, made into the PFX "value" when first needed */
} KvbVersion;

typedef struct
{
  KvbKind kind;
  char *name;             /* as first written */
  GPtrArray *versions;    /* KvbVersion *, oldest first */
  gboolean managed;       /* a key or secret that belongs to a certificate */
  gboolean deleted;
  gint64 deleted_date;        /* Unix seconds */
  gint64 deleted_visible_at;  /* monotonic µs: "being deleted" before it */
  gint64 readable_at;         /* monotonic µs: a recovered object reads 404 before it */
  JsonObject *operation;      /* certificates: the last create operation (without "id") */
} KvbObject;

typedef struct
{
  char *name;
  JsonObject *operation;  /* status "inProgress" until due */
  gint64 due;             /* monotonic µs */
  KvbVersion *versions[KVB_N_KINDS];
} KvbPending;

typedef struct
{
  GHashTable *objects[KVB_N_KINDS];  /* lower-case name -> KvbObject */
  GHashTable *purging[KVB_N_KINDS];  /* lower-case name -> gint64 * (monotonic µs until usable) */
  GHashTable *pending;               /* lower-case certificate name -> KvbPending */
  /* Every object of a kind in name order, rebuilt only after a name was added or removed:
   * listing a vault of 100,000 objects page by page must not sort it for every page. */
  GPtrArray *sorted[KVB_N_KINDS];
} KvbStore;

KvbVersion *_kvb_version_new (void);
void _kvb_version_free (KvbVersion *v);
JsonObject *_kvb_version_to_json (KvbVersion *v);
KvbVersion *_kvb_version_from_json (JsonObject *o);
KvbObject *_kvb_object_new (KvbKind kind, const char *name);
void _kvb_object_free (KvbObject *obj);
KvbStore *_kvb_store_get (KvbEmuVault *vault);
void _kvb_store_put (KvbStore *st, KvbKind kind, KvbObject *obj);
void _kvb_store_remove (KvbStore *st, KvbKind kind, const char *name);
GPtrArray *_kvb_store_sorted (KvbStore *st, KvbKind kind);

/* Key and certificate material (kvb-emu-keyvault-x509.c) */
typedef struct
{
  KvbVersion *cert, *key, *secret;
  char *csr;     /* standard base64 DER of a PKCS#10 request */
} KvbCertMaterial;

/* @seeded: material for the seed may reuse one RSA key pair per size, which makes start-up fast. */
gboolean _kvb_make_key (const char *kty, int key_size, const char *crv, JsonArray *key_ops, gboolean seeded,
                        KvbVersion *out, gnutls_privkey_t *privkey_out, GError **error);
gboolean _kvb_make_certificate (JsonObject *policy, gboolean seeded, KvbCertMaterial *out, GError **error);
gboolean _kvb_import_certificate (const char *value, const char *password, JsonObject *policy,
                                  KvbCertMaterial *out, GError **error);
char *_kvb_new_version_id (void);
JsonObject *_kvb_normalize_policy (JsonObject *policy);
/* A secret version's value, making a seeded certificate's PFX on first use (NULL if that fails). */
const char *_kvb_version_value (KvbVersion *v);

G_END_DECLS
