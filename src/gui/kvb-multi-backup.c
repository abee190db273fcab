/* kvb-multi-backup.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "kvb-multi-backup"

#include "config.h"

#include <glib/gi18n.h>

#include "kvb-history.h"
#include "kvb-keyvault-client.h"
#include "kvb-multi-backup.h"
#include "kvb-operation-card.h"
#include "kvb-vault-backup-operation.h"

struct _KvbMultiBackup
{
  AdwWindow       parent_instance;

  /* Template widgets */
  AdwWindowTitle *window_title;
  GtkLabel       *summary_label;
  GtkBox         *cards_box;

  /* Owned references */
  GFile          *folder;
  GPtrArray      *operations;      /* KvbVaultBackupOperation, one per vault, in the sidebar's order */
  GHashTable     *pending;         /* the operations whose run has not yet reported its end */
  char           *summary;
  gboolean        close_when_done;
};

G_DEFINE_FINAL_TYPE (KvbMultiBackup, kvb_multi_backup, ADW_TYPE_WINDOW)

enum {
  SIGNAL_FINISHED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

/* Announced by the desktop only when the person is elsewhere, as the vault page does. */
static void
notify_if_unfocused (KvbMultiBackup *self,
                     const char     *body)
{
  GtkWindow *parent = gtk_window_get_transient_for (GTK_WINDOW (self));
  GApplication *app = g_application_get_default ();
  g_autoptr(GNotification) notification = NULL;

  if (app == NULL || gtk_window_is_active (GTK_WINDOW (self)) ||
      (parent != NULL && gtk_window_is_active (parent)))
    return;

  notification = g_notification_new (_("Vault Backups Finished"));
  g_notification_set_body (notification, body);
  g_notification_set_default_action (notification, "app.show-window");
  g_application_send_notification (app, "vault-backups", notification);
}

/* One sentence over all vaults, then each vault's own summary on a line of its own. */
static char *
summarize (KvbMultiBackup *self,
           gboolean       *all_cancelled,
           char          **headline)
{
  g_autoptr(GString) text = g_string_new (NULL);
  guint n = self->operations->len, n_whole = 0, n_partial = 0, n_failed = 0, n_cancelled = 0;

  for (guint i = 0; i < n; i++)
    {
      const char *result = kvb_vault_backup_operation_get_result (g_ptr_array_index (self->operations, i));

      if (g_strcmp0 (result, KVB_HISTORY_SUCCEEDED) == 0)
        n_whole++;
      else if (g_strcmp0 (result, KVB_HISTORY_PARTIAL) == 0)
        n_partial++;
      else if (g_strcmp0 (result, KVB_HISTORY_CANCELLED) == 0)
        n_cancelled++;
      else
        n_failed++;
    }

  /* translators: the first number is how many vaults were backed up with every object, the
   * second how many vaults were chosen */
  g_string_append_printf (text, ngettext ("%u of %u vault backed up whole.",
                                          "%u of %u vaults backed up whole.", n), n_whole, n);
  if (n_partial > 0)
    {
      g_string_append_c (text, ' ');
      g_string_append_printf (text, ngettext ("%u with objects that failed.",
                                              "%u with objects that failed.", n_partial), n_partial);
    }
  if (n_failed > 0)
    {
      g_string_append_c (text, ' ');
      g_string_append_printf (text, ngettext ("%u could not be backed up.",
                                              "%u could not be backed up.", n_failed), n_failed);
    }
  if (n_cancelled > 0)
    {
      g_string_append_c (text, ' ');
      g_string_append_printf (text, ngettext ("%u cancelled.", "%u cancelled.", n_cancelled), n_cancelled);
    }
  *headline = g_strdup (text->str);
  *all_cancelled = n_cancelled == n;

  for (guint i = 0; i < n; i++)
    {
      KvbVaultBackupOperation *op = g_ptr_array_index (self->operations, i);
      const char *card_summary = kvb_operation_card_get_summary (kvb_vault_backup_operation_get_card (op));

      g_string_append_c (text, '\n');
      /* translators: a vault's name, then what its backup came to ("291 backed up, 3 covered…") */
      g_string_append_printf (text, _("%s: %s"), kvb_vault_backup_operation_get_vault_name (op),
                              card_summary != NULL ? card_summary : "");
    }
  return g_string_free (g_steal_pointer (&text), FALSE);
}

static void
operation_finished_cb (KvbVaultBackupOperation *op,
                       const char              *card_summary,
                       gboolean                 cancelled,
                       KvbMultiBackup          *self)
{
  g_autofree char *headline = NULL;
  gboolean all_cancelled;

  /* Each run's line is in the history by now: the summary comes after the last of them. */
  if (!g_hash_table_remove (self->pending, op) || g_hash_table_size (self->pending) > 0)
    return;

  g_free (self->summary);
  self->summary = summarize (self, &all_cancelled, &headline);
  gtk_label_set_text (self->summary_label, self->summary);
  if (!all_cancelled && !self->close_when_done)
    notify_if_unfocused (self, headline);
  g_signal_emit (self, signals[SIGNAL_FINISHED], 0, self->summary);

  if (self->close_when_done)
    gtk_window_destroy (GTK_WINDOW (self));
}

/* Resume on a card: the operation has started its next run (its own handler ran first). */
static void
card_retry_cb (KvbOperationCard *card,
               KvbMultiBackup   *self)
{
  for (guint i = 0; i < self->operations->len; i++)
    {
      KvbVaultBackupOperation *op = g_ptr_array_index (self->operations, i);

      if (kvb_vault_backup_operation_get_card (op) == card && kvb_vault_backup_operation_get_running (op))
        {
          g_hash_table_add (self->pending, op);
          g_clear_pointer (&self->summary, g_free);
          gtk_label_set_text (self->summary_label, _("Backing up…"));
        }
    }
}

static void
card_dismissed_cb (KvbOperationCard *card,
                   KvbMultiBackup   *self)
{
  /* The operation stays for the summary; only its card leaves the window. */
  gtk_widget_set_visible (GTK_WIDGET (card), FALSE);
}

static gboolean
kvb_multi_backup_close_request (GtkWindow *window)
{
  KvbMultiBackup *self = KVB_MULTI_BACKUP (window);

  if (g_hash_table_size (self->pending) == 0)
    return GTK_WINDOW_CLASS (kvb_multi_backup_parent_class)->close_request (window);

  /* Stopped, not dropped: each vault's manifest keeps what was done, and its line goes into the
   * history before the window goes. */
  self->close_when_done = TRUE;
  for (guint i = 0; i < self->operations->len; i++)
    kvb_vault_backup_operation_cancel (g_ptr_array_index (self->operations, i));
  gtk_label_set_text (self->summary_label, _("Stopping…"));
  return TRUE;
}

gboolean
kvb_multi_backup_add_vault (KvbMultiBackup *self,
                            KvbVaultInfo   *vault,
                            KvbPipeline    *pipeline,
                            KvbCloud       *cloud,
                            KvbCredential  *credential,
                            GError        **error)
{
  const char *uri;
  g_autoptr(KvbKeyVaultClient) client = NULL;
  g_autoptr(GFile) folder = NULL;
  KvbVaultBackupOperation *op;
  GtkWidget *card;

  g_return_val_if_fail (KVB_IS_MULTI_BACKUP (self), FALSE);
  g_return_val_if_fail (KVB_IS_VAULT_INFO (vault), FALSE);
  g_return_val_if_fail (KVB_IS_PIPELINE (pipeline), FALSE);
  g_return_val_if_fail (KVB_IS_CLOUD (cloud), FALSE);

  uri = kvb_vault_info_get_vault_uri (vault);
  client = kvb_keyvault_client_new (pipeline, cloud, credential,
                                    uri != NULL ? uri : kvb_vault_info_get_name (vault), error);
  if (client == NULL)
    return FALSE;

  /* As kvbackup lays out several vaults: FOLDER/VAULT, so that "kvbackup verify" and Restore
   * Folder find each vault's backup where the other tool puts it. */
  folder = g_file_get_child (self->folder, kvb_vault_info_get_name (vault));
  card = kvb_operation_card_new ();
  gtk_box_append (self->cards_box, card);
  op = kvb_vault_backup_operation_new (client, vault, pipeline, kvb_cloud_get_id (cloud), folder,
                                       KVB_OPERATION_CARD (card));
  g_ptr_array_add (self->operations, op);
  g_signal_connect_object (op, "finished", G_CALLBACK (operation_finished_cb), self, 0);
  g_signal_connect_object (card, "retry", G_CALLBACK (card_retry_cb), self, G_CONNECT_AFTER);
  g_signal_connect_object (card, "dismissed", G_CALLBACK (card_dismissed_cb), self, 0);
  return TRUE;
}

void
kvb_multi_backup_start (KvbMultiBackup *self)
{
  guint n;
  g_autofree char *title = NULL;
  g_autofree char *where = NULL;

  g_return_if_fail (KVB_IS_MULTI_BACKUP (self));

  n = self->operations->len;
  /* translators: the title of the window that backs up several vaults at once */
  title = g_strdup_printf (ngettext ("Backup of %u Vault", "Backup of %u Vaults", n), n);
  where = g_file_get_parse_name (self->folder);
  gtk_window_set_title (GTK_WINDOW (self), title);
  adw_window_title_set_title (self->window_title, title);
  adw_window_title_set_subtitle (self->window_title, where);
  gtk_label_set_text (self->summary_label, _("Backing up…"));

  for (guint i = 0; i < n; i++)
    {
      KvbVaultBackupOperation *op = g_ptr_array_index (self->operations, i);

      g_hash_table_add (self->pending, op);
      kvb_vault_backup_operation_start (op, FALSE);
    }
}

const char *
kvb_multi_backup_get_summary (KvbMultiBackup *self)
{
  g_return_val_if_fail (KVB_IS_MULTI_BACKUP (self), NULL);
  return self->summary;
}

static void
kvb_multi_backup_dispose (GObject *object)
{
  KvbMultiBackup *self = (KvbMultiBackup *)object;

  /* Each backup stops, and lets go of its card, before the cards go. */
  if (self->operations != NULL)
    {
      for (guint i = 0; i < self->operations->len; i++)
        g_object_run_dispose (g_ptr_array_index (self->operations, i));
    }
  if (self->pending != NULL)
    g_hash_table_remove_all (self->pending);
  gtk_widget_dispose_template (GTK_WIDGET (self), KVB_TYPE_MULTI_BACKUP);
  g_clear_pointer (&self->operations, g_ptr_array_unref);
  g_clear_object (&self->folder);

  G_OBJECT_CLASS (kvb_multi_backup_parent_class)->dispose (object);
}

static void
kvb_multi_backup_finalize (GObject *object)
{
  KvbMultiBackup *self = (KvbMultiBackup *)object;

  g_clear_pointer (&self->pending, g_hash_table_unref);
  g_free (self->summary);

  G_OBJECT_CLASS (kvb_multi_backup_parent_class)->finalize (object);
}

static void
kvb_multi_backup_class_init (KvbMultiBackupClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkWindowClass *window_class = GTK_WINDOW_CLASS (klass);

  object_class->dispose = kvb_multi_backup_dispose;
  object_class->finalize = kvb_multi_backup_finalize;
  window_class->close_request = kvb_multi_backup_close_request;

  signals[SIGNAL_FINISHED] =
    g_signal_new ("finished", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, G_TYPE_STRING);

  gtk_widget_class_set_template_from_resource (widget_class, APP_PATH "/ui/kvb-multi-backup.ui");
  gtk_widget_class_bind_template_child (widget_class, KvbMultiBackup, window_title);
  gtk_widget_class_bind_template_child (widget_class, KvbMultiBackup, summary_label);
  gtk_widget_class_bind_template_child (widget_class, KvbMultiBackup, cards_box);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
kvb_multi_backup_init (KvbMultiBackup *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->operations = g_ptr_array_new_with_free_func (g_object_unref);
  self->pending = g_hash_table_new (NULL, NULL);
}

KvbMultiBackup *
kvb_multi_backup_new (GtkWindow *parent,
                      GFile     *folder)
{
  KvbMultiBackup *self;

  g_return_val_if_fail (parent == NULL || GTK_IS_WINDOW (parent), NULL);
  g_return_val_if_fail (G_IS_FILE (folder), NULL);

  self = g_object_new (KVB_TYPE_MULTI_BACKUP, "transient-for", parent, NULL);
  self->folder = g_object_ref (folder);
  return self;
}
