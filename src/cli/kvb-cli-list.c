/* kvb-cli-list.c: kvbackup list
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "kvbackup"

#include "config.h"

#include <stdio.h>

#include <glib/gi18n.h>
#include <json-glib/json-glib.h>

#include "kvb-cli.h"
#include "kvb-cli-table.h"
#include "kvb-error.h"
#include "kvb-keyvault-client.h"

typedef struct
{
  gboolean json;
  gboolean deleted;
  gboolean header_printed;
  guint n_objects;
  JsonArray *array;     /* --json: every object, printed at the end as one document */
} ListState;

static char *
format_date (gint64 unix_seconds)
{
  g_autoptr(GDateTime) dt = NULL;

  if (unix_seconds <= 0)
    return g_strdup ("-");
  dt = g_date_time_new_from_unix_utc (unix_seconds);
  if (dt == NULL)
    return g_strdup ("-");
  return g_date_time_format (dt, "%Y-%m-%d %H:%M:%SZ");
}

static void
add_date (JsonObject *obj,
          const char *name,
          gint64      value)
{
  if (value > 0)
    json_object_set_int_member (obj, name, value);
}

static void
add_string (JsonObject *obj,
            const char *name,
            const char *value)
{
  if (value != NULL)
    json_object_set_string_member (obj, name, value);
}

/* Key Vault's own member names and Unix seconds, so that scripts can use what they know. */
static JsonObject *
object_to_json (KvbObjectInfo *info)
{
  JsonObject *obj = json_object_new ();
  GHashTable *tags = kvb_object_info_get_tags (info);

  json_object_set_string_member (obj, "kind", kvb_object_kind_to_string (kvb_object_info_get_kind (info)));
  json_object_set_string_member (obj, "name", kvb_object_info_get_name (info));
  add_string (obj, "id", kvb_object_info_get_id (info));
  json_object_set_boolean_member (obj, "enabled", kvb_object_info_get_enabled (info));
  add_date (obj, "created", kvb_object_info_get_created (info));
  add_date (obj, "updated", kvb_object_info_get_updated (info));
  add_date (obj, "exp", kvb_object_info_get_expires (info));
  add_date (obj, "nbf", kvb_object_info_get_not_before (info));
  add_string (obj, "contentType", kvb_object_info_get_content_type (info));
  json_object_set_boolean_member (obj, "managed", kvb_object_info_get_managed (info));
  add_string (obj, "recoveryLevel", kvb_object_info_get_recovery_level (info));

  if (tags != NULL)
    {
      JsonObject *tags_obj = json_object_new ();
      GHashTableIter iter;
      gpointer key, value;

      g_hash_table_iter_init (&iter, tags);
      while (g_hash_table_iter_next (&iter, &key, &value))
        json_object_set_string_member (tags_obj, key, value);
      json_object_set_object_member (obj, "tags", tags_obj);
    }

  if (kvb_object_info_get_deleted (info))
    {
      add_string (obj, "recoveryId", kvb_object_info_get_recovery_id (info));
      add_date (obj, "deletedDate", kvb_object_info_get_deleted_date (info));
      add_date (obj, "scheduledPurgeDate", kvb_object_info_get_scheduled_purge_date (info));
    }

  return obj;
}

/* The table is for people: the kind in their language.  --json keeps the English word. */
static const char *
kind_label (KvbObjectKind kind)
{
  switch (kind)
    {
    case KVB_OBJECT_KIND_SECRET:
      return C_("object kind in the list", "secret");
    case KVB_OBJECT_KIND_KEY:
      return C_("object kind in the list", "key");
    case KVB_OBJECT_KIND_CERTIFICATE:
    default:
      return C_("object kind in the list", "certificate");
    }
}

/* Prints the columns (the last one unpadded) padded by the width the terminal shows, so that
 * headers and names in any script line up.  @widths has one entry fewer than @columns. */
static void
print_columns (const gsize  *widths,
               const char  **columns)
{
  g_autoptr(GString) line = g_string_new (NULL);
  guint i;

  for (i = 0; columns[i + 1] != NULL; i++)
    {
      kvb_cli_append_padded (line, columns[i], widths[i]);
      g_string_append_c (line, ' ');
    }
  g_string_append (line, columns[i]);
  g_print ("%s\n", line->str);
}

static void
print_row (ListState     *state,
           KvbObjectInfo *info)
{
  static const gsize deleted_widths[] = { 12, 21, 21 };
  static const gsize widths[] = { 12, 21, 9 };
  const char *kind = kind_label (kvb_object_info_get_kind (info));

  if (!state->header_printed)
    {
      /* The name goes last, so that long names do not break the columns. */
      if (state->deleted)
        print_columns (deleted_widths,
                       (const char *[]) { _("KIND"), _("DELETED"), _("PURGE"), _("NAME"), NULL });
      else
        print_columns (widths,
                       (const char *[]) { _("KIND"), _("UPDATED"), _("ENABLED"), _("NAME"), NULL });
      state->header_printed = TRUE;
    }

  if (state->deleted)
    {
      g_autofree char *deleted = format_date (kvb_object_info_get_deleted_date (info));
      g_autofree char *purge = format_date (kvb_object_info_get_scheduled_purge_date (info));

      print_columns (deleted_widths,
                     (const char *[]) { kind, deleted, purge, kvb_object_info_get_name (info), NULL });
    }
  else
    {
      g_autofree char *updated = format_date (kvb_object_info_get_updated (info));
      g_autofree char *name = NULL;

      name = g_strconcat (kvb_object_info_get_name (info),
                          /* Translators: after the name of a key or secret that belongs to a
                           * certificate */
                          kvb_object_info_get_managed (info) ? _(" (managed by a certificate)") : "",
                          NULL);
      print_columns (widths,
                     (const char *[]) { kind, updated,
                                        kvb_object_info_get_enabled (info) ? _("yes") : _("no"),
                                        name, NULL });
    }
}

static void
page_cb (GPtrArray *objects,
         gpointer   user_data)
{
  ListState *state = user_data;

  /* Rows are printed as pages arrive, so a large vault shows progress at once. */
  for (guint i = 0; i < objects->len; i++)
    {
      KvbObjectInfo *info = g_ptr_array_index (objects, i);

      if (state->json)
        json_array_add_object_element (state->array, object_to_json (info));
      else
        print_row (state, info);
      state->n_objects++;
    }

  if (!state->json)
    fflush (stdout);
}

int
kvb_cli_list (KvbCli  *cli,
              int      argc,
              char   **argv)
{
  g_autofree char *vault = NULL;
  g_autofree char *kind_text = NULL;
  gboolean deleted = FALSE;
  const GOptionEntry entries[] = {
    { "vault", 'v', 0, G_OPTION_ARG_STRING, &vault,
      N_("The vault: its name or its URL"), N_("VAULT") },
    { "kind", 'k', 0, G_OPTION_ARG_STRING, &kind_text,
      N_("What to list: secret, key, certificate or all (default: all)"), N_("KIND") },
    { "deleted", 0, 0, G_OPTION_ARG_NONE, &deleted,
      N_("List the deleted objects that can be recovered or purged"), NULL },
    { NULL }
  };
  g_autoptr(KvbKeyVaultClient) client = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonArray) array = json_array_new ();
  ListState state = { 0 };
  KvbObjectKind kind = KVB_OBJECT_KIND_SECRET;
  gboolean all = TRUE;
  int status = KVB_CLI_EXIT_OK;

  if (!kvb_cli_parse_options (cli, "list", _("List the secrets, keys and certificates of a vault."),
                              entries, NULL, &argc, &argv))
    return KVB_CLI_EXIT_USAGE;

  if (argc > 1)
    return kvb_cli_usage_error ("list", _("Unexpected argument “%s”."), argv[1]);
  if (vault == NULL)
    return kvb_cli_usage_error ("list", _("Name the vault with --vault."));
  if (kind_text != NULL && !kvb_cli_parse_kind ("list", kind_text, TRUE, &kind, &all))
    return KVB_CLI_EXIT_USAGE;

  if (!kvb_cli_prepare (cli, vault, &error))
    {
      kvb_cli_print_error ("%s", error->message);
      return kvb_cli_status_for_error (error);
    }

  client = kvb_keyvault_client_new (cli->pipeline, cli->cloud, cli->credential, vault, &error);
  if (client == NULL)
    return kvb_cli_usage_error ("list", "%s", error->message);

  state.json = cli->json;
  state.deleted = deleted;
  state.array = array;

  for (guint k = 0; k < KVB_OBJECT_KIND_N_KINDS; k++)
    {
      g_autoptr(GAsyncResult) result = NULL;
      g_autoptr(GError) list_error = NULL;

      if (!all && k != kind)
        continue;

      kvb_keyvault_client_list_async (client, k, deleted, page_cb, &state, cli->cancellable,
                                      kvb_cli_wait_cb, &result);
      kvb_cli_wait (cli, &result);
      if (!kvb_keyvault_client_list_finish (client, result, &list_error))
        {
          if (g_error_matches (list_error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
            {
              kvb_cli_print_error (_("Interrupted."));
              return KVB_CLI_EXIT_FAILED;
            }
          kvb_cli_print_error (k == KVB_OBJECT_KIND_SECRET ? _("The secrets could not be listed: %s") :
                               k == KVB_OBJECT_KIND_KEY ? _("The keys could not be listed: %s") :
                               _("The certificates could not be listed: %s"),
                               list_error->message);
          status = KVB_CLI_EXIT_FAILED;

          /* Only a missing permission is particular to one kind; anything else (no such
           * vault, no network, sign-in) would only repeat itself for the next kind. */
          if (!g_error_matches (list_error, KVB_ERROR, KVB_ERROR_FORBIDDEN_RBAC) &&
              !g_error_matches (list_error, KVB_ERROR, KVB_ERROR_FORBIDDEN_POLICY))
            break;
        }
    }

  if (cli->json)
    {
      g_autoptr(JsonObject) obj = json_object_new ();

      json_object_set_string_member (obj, "command", "list");
      json_object_set_string_member (obj, "vault", kvb_keyvault_client_get_vault_url (client));
      json_object_set_boolean_member (obj, "deleted", deleted);
      json_object_set_array_member (obj, "objects", json_array_ref (array));
      kvb_cli_set_document (cli, obj);
    }
  else if (state.n_objects == 0 && status == KVB_CLI_EXIT_OK)
    {
      if (deleted)
        g_printerr ("%s\n", _("No deleted objects."));
      else
        g_printerr ("%s\n", _("The vault holds no objects of this kind."));
    }

  return status;
}
