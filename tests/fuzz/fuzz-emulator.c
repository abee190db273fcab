/* fuzz-emulator.c: the stand-in's Key Vault data plane as it handles one request.  The input is
 * "METHOD PATH[?QUERY]" on its first line and the body after it, e.g.
 *
 *   PUT /secrets/a?api-version=7.4
 *   {"value":"x"}
 *
 * The request goes to a vault of the built-in sample world, from its sample user.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include <string.h>

#include "kvb-emu-keyvault.h"
#include "kvb-emu-state.h"
#include "kvb-fuzz.h"

static KvbEmuState *state;
static KvbEmuVault *vault;
static const char *caller;

static void
load_state (void)
{
  g_autoptr(GError) error = NULL;
  GList *vaults;

  g_clear_pointer (&state, kvb_emu_state_free);
  state = kvb_emu_state_new ();
  if (!kvb_emu_state_load (state, NULL, &error))
    g_error ("The sample world does not load: %s", error->message);
  /* No waits: a deletion or a purge is done at once. */
  kvb_emu_state_set_delays_ms (state, 0, 0, 0);
  vaults = kvb_emu_state_get_vaults (state);
  g_assert_nonnull (vaults);
  vault = vaults->data;
  g_list_free (vaults);
  if (!kvb_emu_keyvault_seed (vault, kvb_emu_state_get_vault_seed (state, vault->name), &error))
    g_error ("The sample vault does not load: %s", error->message);
  caller = kvb_emu_state_get_sample_user (state);
}

int
LLVMFuzzerInitialize (int    *argc,
                      char ***argv)
{
  kvb_fuzz_init ();
  load_state ();
  return 0;
}

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  static guint n_inputs;
  const guint8 *nl = memchr (data, '\n', size);
  g_autofree char *line = kvb_fuzz_dup_string (data, nl != NULL ? (size_t) (nl - data) : size);
  g_autoptr(GBytes) body = NULL;
  g_autoptr(GHashTable) query = NULL;
  g_autoptr(SoupServerMessage) msg = NULL;
  g_auto(GStrv) words = NULL;
  char *question;
  KvbEmuRequest req = { 0 };

  /* What earlier inputs wrote stays in the vault, as it does for a client; a fresh world now and
   * then keeps the vault from growing without end. */
  if (++n_inputs % 1000 == 0)
    load_state ();

  words = g_strsplit (line, " ", 2);
  if (words[0] == NULL || words[1] == NULL)
    return 0;
  question = strchr (words[1], '?');
  if (question != NULL)
    {
      *question = '\0';
      query = soup_form_decode (question + 1);
    }
  if (nl != NULL)
    body = g_bytes_new (nl + 1, size - (nl + 1 - data));

  /* Outside a server, but with the headers and bodies the handler writes to. */
  msg = g_object_new (SOUP_TYPE_SERVER_MESSAGE, NULL);
  req.msg = msg;
  req.method = words[0];
  req.path = words[1];
  req.query = query;
  req.body = body;
  req.base_url = "https://sample.vault.localhost:8443";
  req.state = state;
  req.vault = vault;
  req.caller_object_id = caller;
  kvb_emu_keyvault_handle (&req);

  g_assert_cmpuint (soup_server_message_get_status (msg), >=, 200);
  g_assert_cmpuint (soup_server_message_get_status (msg), <, 600);

  return 0;
}
