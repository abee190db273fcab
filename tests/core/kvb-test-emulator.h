/* kvb-test-emulator.h: start the local Azure stand-in as a subprocess for a test.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "kvb-cloud.h"

G_BEGIN_DECLS

typedef struct
{
  GSubprocess *process;
  char        *state_dir;
  JsonObject  *info;                 /* the JSON line the stand-in printed */
  /* Members of that line, for convenience (borrowed from @info). */
  const char  *url;                  /* https://127.0.0.1:PORT */
  const char  *proxy;                /* http://127.0.0.1:PORT or NULL with --no-proxy */
  const char  *ca;                   /* PEM of the stand-in's CA */
  const char  *tenant;
  const char  *client_id;
  const char  *client_secret;
  const char  *client_certificate;
  const char  *vault_suffix;
  const char  *user;
} KvbTestEmulator;

/* The kvb-emulator executable of the build tree, or %NULL when it has not been built. */
const char      *kvb_test_emulator_get_path      (void);

/* Starts kvb-emulator with a private --state-dir, the given extra arguments (%NULL-terminated,
 * may be %NULL) and ports picked by the system; waits for its JSON line (30 s at most).
 * When the executable is missing, returns %NULL with G_IO_ERROR_NOT_FOUND: call g_test_skip(). */
KvbTestEmulator *kvb_test_emulator_start         (const char * const *extra_args,
                                                  GError            **error);
/* Like kvb_test_emulator_start() but skips the test (returns %NULL) when the stand-in is not
 * built, and fails the test on any other error. */
KvbTestEmulator *kvb_test_emulator_start_or_skip (const char * const *extra_args);
/* SIGTERM, wait, remove the state directory. */
void             kvb_test_emulator_stop          (KvbTestEmulator    *self);

/* The sample-cloud profile for this instance (vaults https://NAME.vault.localhost:PORT/). */
KvbCloud        *kvb_test_emulator_new_cloud     (KvbTestEmulator    *self);

/* A synchronous control call on the direct URL, e.g. ("POST", "/_emulator/devicecode/approve",
 * "{\"user_code\":\"…\"}") or ("GET", "/_emulator/requests", NULL).  Returns the parsed JSON
 * answer (or %NULL), and the status in @status if not %NULL. */
JsonNode        *kvb_test_emulator_control       (KvbTestEmulator    *self,
                                                  const char         *method,
                                                  const char         *path,
                                                  const char         *json_body,
                                                  guint              *status);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (KvbTestEmulator, kvb_test_emulator_stop)

G_END_DECLS
