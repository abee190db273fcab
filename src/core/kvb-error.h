/* kvb-error.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define KVB_ERROR (kvb_error_quark ())

/**
 * KvbError:
 *
 * What went wrong, in terms a person can act on.  Every failure the core reports to the window,
 * the command line or the history carries one of these codes and a translated message that says
 * what happened and what to do next; raw service details go to the debug log only.
 */
typedef enum
{
  KVB_ERROR_FAILED,                 /* anything not covered below */
  KVB_ERROR_INVALID_ARGUMENT,       /* bad input from the user (vault name, option, profile file) */
  KVB_ERROR_NOT_FOUND,              /* object, version, vault or subscription does not exist */
  KVB_ERROR_CONFLICT_LIVE,          /* the name exists and is live */
  KVB_ERROR_CONFLICT_DELETED,       /* the name is soft-deleted: recover or purge it first */
  KVB_ERROR_CONFLICT_BEING_DELETED, /* the name is being deleted: wait and retry */
  KVB_ERROR_MALFORMED_BLOB,         /* Key Vault cannot read the backup blob */
  KVB_ERROR_WRONG_SCOPE,            /* blob from another subscription or geography */
  KVB_ERROR_FORBIDDEN_RBAC,         /* a role assignment is missing */
  KVB_ERROR_FORBIDDEN_POLICY,       /* an access-policy permission is missing */
  KVB_ERROR_FORBIDDEN_FIREWALL,     /* the vault's firewall or private endpoint refuses us */
  KVB_ERROR_THROTTLED,              /* still throttled after the retries */
  KVB_ERROR_UNAUTHORIZED,           /* the token was refused */
  KVB_ERROR_TOO_MANY_VERSIONS,      /* backup refused: more than 500 versions */
  KVB_ERROR_NETWORK,                /* connection failed, dropped, DNS, TLS */
  KVB_ERROR_TIMEOUT,                /* no answer in time */
  KVB_ERROR_CHALLENGE_REJECTED,     /* the 401 challenge failed our checks: no token was sent */
  KVB_ERROR_SIGN_IN_REQUIRED,       /* the stored sign-in is no longer valid: sign in again */
  KVB_ERROR_SIGN_IN_FAILED,         /* a sign-in flow failed (declined, expired, wrong secret) */
  KVB_ERROR_SIGN_IN_CANCELLED,      /* the user stopped a sign-in flow */
  KVB_ERROR_BAD_FILE,               /* a backup file that cannot be read as a backup */
  KVB_ERROR_AMBIGUOUS_KIND,         /* a key-or-certificate blob with no other clue */
  KVB_ERROR_FILE_EXISTS,            /* refusing to overwrite without being told to */
  KVB_ERROR_KEYRING_UNAVAILABLE,    /* no Secret Service: sign-in lasts for this session only */
  KVB_ERROR_PROVIDER_NOT_REGISTERED,/* Microsoft.KeyVault is not registered in the subscription */
  KVB_ERROR_OUTCOME_UNKNOWN,        /* the connection broke and what the service did cannot be told */
} KvbError;

GQuark      kvb_error_quark                (void);

/* The service's own code behind an error of this domain, or %NULL: the Entra ID error
 * ("authorization_pending", "invalid_grant"…), the Key Vault error or inner error code
 * ("ObjectIsDeletedButRecoverable", "ForbiddenByRbac"…) or the Resource Manager code. */
const char *kvb_error_get_service_code     (const GError *error);
void        kvb_error_set_service_code     (GError       *error,
                                            const char   *service_code);
GError     *kvb_error_new_with_service_code (KvbError     code,
                                            const char   *service_code,
                                            const char   *format,
                                            ...) G_GNUC_PRINTF (3, 4);

G_END_DECLS
