/* fuzz-challenge.c: the WWW-Authenticate challenge of a vault's 401.  The input is the header's
 * value; it is checked for vaults of the public cloud and of a sovereign cloud.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include <string.h>

#include "kvb-cloud.h"
#include "kvb-fuzz.h"
#include "kvb-pipeline-private.h"

static KvbCloud *clouds[2];
static GUri *vaults[2];

int
LLVMFuzzerInitialize (int    *argc,
                      char ***argv)
{
  kvb_fuzz_init ();
  clouds[0] = kvb_cloud_new_public ();
  vaults[0] = g_uri_parse ("https://contoso.vault.azure.net/", G_URI_FLAGS_NONE, NULL);
  clouds[1] = kvb_cloud_new_china ();
  vaults[1] = g_uri_parse ("https://contoso.vault.azure.cn:443/", G_URI_FLAGS_NONE, NULL);
  return 0;
}

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  g_autofree char *header = kvb_fuzz_dup_string (data, size);

  for (guint i = 0; i < G_N_ELEMENTS (clouds); i++)
    {
      g_autofree char *scope = NULL;
      g_autofree char *tenant = NULL;
      g_autoptr(GError) error = NULL;

      if (_kvb_pipeline_check_challenge (clouds[i], vaults[i], header, &scope, &tenant, &error))
        {
          /* An accepted challenge gives https://HOST/.default, HOST under the cloud's vault
           * domain, and nothing else the vault wrote. */
          g_assert_nonnull (scope);
          g_assert_null (error);
          g_assert_true (g_str_has_prefix (scope, "https://"));
          g_assert_true (g_str_has_suffix (scope, "/.default"));
          g_assert_null (strpbrk (scope, " \t\r\n@?#,\""));
          g_assert_null (strchr (scope + strlen ("https://"), ':'));
        }
      else
        g_assert_nonnull (error);
    }

  return 0;
}
