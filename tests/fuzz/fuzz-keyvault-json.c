/* fuzz-keyvault-json.c: the answers of a vault: a list page, an object bundle and an error
 * body.  The input is the body; each reader gets it.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "kvb-cloud.h"
#include "kvb-fuzz.h"
#include "kvb-keyvault-client-private.h"
#include "kvb-object-info.h"

static KvbKeyVaultClient *client;

/* The statuses map_error() tells apart; each input meets a few of them. */
static const guint statuses[] = { 400, 401, 403, 404, 409, 429, 500, 418 };

int
LLVMFuzzerInitialize (int    *argc,
                      char ***argv)
{
  g_autoptr(KvbPipeline) pipeline = NULL;
  g_autoptr(KvbCloud) cloud = NULL;

  kvb_fuzz_init ();
  pipeline = kvb_pipeline_new ();
  cloud = kvb_cloud_new_public ();
  client = kvb_keyvault_client_new (pipeline, cloud, NULL, "contoso", NULL);
  g_assert_nonnull (client);
  return 0;
}

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  g_autoptr(JsonNode) node = kvb_fuzz_parse_json (data, size);
  guint seed = size > 0 ? data[size - 1] : 0;

  for (KvbObjectKind kind = 0; kind < KVB_OBJECT_KIND_N_KINDS; kind++)
    {
      g_autoptr(GPtrArray) page = NULL;
      g_autoptr(GError) error = NULL;
      const char *next_link = NULL;

      page = _kvb_keyvault_client_read_list_page (client, kind, node, &next_link, &error);
      g_assert_true ((page != NULL) != (error != NULL));
      if (next_link != NULL)
        {
          g_autoptr(GError) link_error = NULL;
          g_autofree char *url = _kvb_keyvault_client_next_page_url (client, next_link,
                                                                     &link_error);

          /* A next page never leaves the vault. */
          g_assert_true ((url != NULL) != (link_error != NULL));
          if (url != NULL)
            {
              g_autoptr(GUri) uri = g_uri_parse (url, G_URI_FLAGS_ENCODED, NULL);

              g_assert_nonnull (uri);
              g_assert_cmpstr (g_uri_get_scheme (uri), ==, "https");
              g_assert_cmpstr (g_uri_get_host (uri), ==, "contoso.vault.azure.net");
              g_assert_cmpint (g_uri_get_port (uri), ==, -1);
              g_assert_null (g_uri_get_userinfo (uri));
            }
        }

      if (node != NULL && JSON_NODE_HOLDS_OBJECT (node))
        {
          g_autoptr(KvbObjectInfo) info = NULL;
          g_autoptr(GError) info_error = NULL;

          info = kvb_object_info_new_from_json (kind, json_node_get_object (node), &info_error);
          g_assert_true ((info != NULL) != (info_error != NULL));
          if (info != NULL)
            g_assert_nonnull (kvb_object_info_get_name (info));
        }
    }

  for (guint i = 0; i < 3; i++)
    {
      guint status = statuses[(seed + i) % G_N_ELEMENTS (statuses)];
      g_autoptr(GError) error = _kvb_keyvault_client_map_error (client, status, node,
                                                                (seed / 8 + i) % 7,
                                                                (seed + i) % KVB_OBJECT_KIND_N_KINDS,
                                                                i == 0 ? "name" : NULL);

      g_assert_nonnull (error);
    }

  return 0;
}
