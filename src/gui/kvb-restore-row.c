/* kvb-restore-row.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "kvb-restore-row"

#include "config.h"

#include <glib/gi18n.h>

#include "kvb-restore-row.h"

struct _KvbRestoreRow
{
  GtkListBoxRow        parent_instance;

  /* Template widgets */
  GtkSpinner          *spinner;
  GtkImage            *status_icon;
  GtkLabel            *title_label;
  GtkLabel            *detail_label;
  GtkLabel            *state_label;
  GtkLabel            *message_label;
  GtkWidget           *choice_box;
  GtkWidget           *key_button;
  GtkWidget           *certificate_button;
  GtkToggleButton     *skip_button;
  GtkToggleButton     *recover_button;
  GtkToggleButton     *purge_button;

  KvbRestorePlan      *plan;
  KvbRestorePlanEntry *entry;
  gboolean             editable;
  /* Set while the toggles are put in line with the entry, so that doing so chooses nothing. */
  gboolean             syncing;
  char                *purge_reason;
};

G_DEFINE_FINAL_TYPE (KvbRestoreRow, kvb_restore_row, GTK_TYPE_LIST_BOX_ROW)

enum
{
  PROP_0,
  PROP_EDITABLE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static const char *
kind_label (KvbObjectKind kind)
{
  switch (kind)
    {
    case KVB_OBJECT_KIND_SECRET:
      return _("Secret");
    case KVB_OBJECT_KIND_KEY:
      return _("Key");
    case KVB_OBJECT_KIND_CERTIFICATE:
      return _("Certificate");
    default:
      g_assert_not_reached ();
    }
}

static char *
format_date (gint64 unix_seconds)
{
  g_autoptr(GDateTime) utc = g_date_time_new_from_unix_utc (unix_seconds);
  g_autoptr(GDateTime) local = NULL;

  if (utc == NULL)
    return g_strdup ("?");
  local = g_date_time_to_local (utc);
  /* The locale's own way of writing a date. */
  return g_date_time_format (local, "%x");
}

/* What the vault holds under the file's name, said as a person would. */
static char *
state_text (KvbRestoreRow *self)
{
  KvbRestorePlanEntry *entry = self->entry;

  switch (kvb_restore_plan_entry_get_state (entry))
    {
    case KVB_RESTORE_STATE_FREE:
      return g_strdup (_("Free"));
    case KVB_RESTORE_STATE_EXISTS:
      return g_strdup (_("Already exists: it will be skipped — a restore never overwrites"));
    case KVB_RESTORE_STATE_SOFT_DELETED:
      {
        g_autofree char *deleted = format_date (kvb_restore_plan_entry_get_deleted_date (entry));
        g_autofree char *purged = format_date (kvb_restore_plan_entry_get_scheduled_purge_date (entry));
        g_autofree char *text = g_strdup_printf (_("Deleted on %s, purged on %s unless recovered"),
                                                 deleted, purged);

        /* Purge is refused under purge protection; the core's sentence says why.  It is asked
         * while choices are open, as afterwards every action is refused. */
        if (self->purge_reason == NULL && self->editable &&
            kvb_restore_plan_entry_get_status (entry) == KVB_JOB_STATUS_PENDING &&
            !kvb_restore_plan_entry_can (entry, KVB_RESTORE_ACTION_PURGE_AND_RESTORE) &&
            kvb_restore_plan_entry_can (entry, KVB_RESTORE_ACTION_RECOVER))
          {
            g_autoptr(GError) error = NULL;

            /* Refused, so nothing changes. */
            if (!kvb_restore_plan_entry_set_action (entry, KVB_RESTORE_ACTION_PURGE_AND_RESTORE,
                                                    &error))
              self->purge_reason = g_strdup (error->message);
          }
        if (self->purge_reason != NULL)
          return g_strdup_printf ("%s\n%s", text, self->purge_reason);
        return g_steal_pointer (&text);
      }
    case KVB_RESTORE_STATE_UNKNOWN_NAME:
      return g_strdup (_("The file does not say the name: the restore is tried, and the vault "
                         "refuses it if the name is taken"));
    case KVB_RESTORE_STATE_AMBIGUOUS_KIND:
      return g_strdup (_("Could be a key or a certificate: choose"));
    case KVB_RESTORE_STATE_INVALID:
      return g_strdup_printf (_("Not a backup: %s"),
                              kvb_restore_plan_entry_get_error_message (entry) != NULL
                              ? kvb_restore_plan_entry_get_error_message (entry)
                              : _("the file cannot be read"));
    default:
      g_assert_not_reached ();
    }
}

static void
sync_status (KvbRestoreRow *self)
{
  KvbJobStatus status = kvb_restore_plan_entry_get_status (self->entry);
  const char *message = kvb_restore_plan_entry_get_message (self->entry);
  const char *icon = NULL;
  const char *words = NULL;

  switch (status)
    {
    case KVB_JOB_STATUS_PENDING:
      break;
    case KVB_JOB_STATUS_RUNNING:
      words = _("Running");
      break;
    case KVB_JOB_STATUS_DONE:
      icon = "emblem-ok-symbolic";
      words = _("Done");
      break;
    case KVB_JOB_STATUS_SKIPPED:
      icon = "action-unavailable-symbolic";
      words = _("Skipped");
      break;
    case KVB_JOB_STATUS_FAILED:
      icon = "dialog-error-symbolic";
      words = _("Failed");
      break;
    default:
      g_assert_not_reached ();
    }

  gtk_widget_set_visible (GTK_WIDGET (self->spinner), status == KVB_JOB_STATUS_RUNNING);
  gtk_spinner_set_spinning (self->spinner, status == KVB_JOB_STATUS_RUNNING);
  gtk_widget_set_visible (GTK_WIDGET (self->status_icon), icon != NULL);
  if (icon != NULL)
    gtk_image_set_from_icon_name (self->status_icon, icon);
  if (words != NULL)
    {
      gtk_accessible_update_property (GTK_ACCESSIBLE (self->status_icon),
                                      GTK_ACCESSIBLE_PROPERTY_LABEL, words, -1);
      gtk_accessible_update_property (GTK_ACCESSIBLE (self->spinner),
                                      GTK_ACCESSIBLE_PROPERTY_LABEL, words, -1);
    }
  if (status == KVB_JOB_STATUS_FAILED)
    gtk_widget_add_css_class (GTK_WIDGET (self->message_label), "error");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self->message_label), "error");

  gtk_label_set_label (self->message_label, message != NULL ? message : "");
  gtk_widget_set_visible (GTK_WIDGET (self->message_label), message != NULL && *message != '\0');
}

static void
sync_entry (KvbRestoreRow *self)
{
  KvbRestorePlanEntry *entry = self->entry;
  KvbRestoreState state = kvb_restore_plan_entry_get_state (entry);
  KvbRestoreAction action = kvb_restore_plan_entry_get_action (entry);
  const char *name = kvb_restore_plan_entry_get_name (entry);
  g_autofree char *file_name = g_file_get_basename (kvb_restore_plan_entry_get_file (entry));
  g_autofree char *detail = NULL;
  g_autofree char *state_words = state_text (self);
  gboolean ambiguous = state == KVB_RESTORE_STATE_AMBIGUOUS_KIND;
  gboolean deleted = state == KVB_RESTORE_STATE_SOFT_DELETED;
  gboolean knows_kind = state != KVB_RESTORE_STATE_AMBIGUOUS_KIND &&
                        state != KVB_RESTORE_STATE_INVALID;

  gtk_label_set_label (self->title_label, name != NULL ? name : _("name unknown"));
  if (knows_kind)
    /* TRANSLATORS: "Secret · vault.name.secret.kvbackup": the kind of object and the file. */
    detail = g_strdup_printf (_("%s · %s"), kind_label (kvb_restore_plan_entry_get_kind (entry)),
                              file_name);
  else
    detail = g_strdup (file_name);
  gtk_label_set_label (self->detail_label, detail);
  gtk_label_set_label (self->state_label, state_words);

  self->syncing = TRUE;
  /* Once the file is done with, its choice is history: the status line says what happened. */
  gtk_widget_set_visible (self->choice_box,
                          (ambiguous || deleted) &&
                          kvb_restore_plan_entry_get_status (entry) == KVB_JOB_STATUS_PENDING);
  gtk_widget_set_visible (self->key_button, ambiguous);
  gtk_widget_set_visible (self->certificate_button, ambiguous);
  gtk_widget_set_visible (GTK_WIDGET (self->recover_button), deleted);
  gtk_widget_set_visible (GTK_WIDGET (self->purge_button), deleted);
  gtk_toggle_button_set_active (self->skip_button, action == KVB_RESTORE_ACTION_SKIP);
  gtk_toggle_button_set_active (self->recover_button, action == KVB_RESTORE_ACTION_RECOVER);
  gtk_toggle_button_set_active (self->purge_button, action == KVB_RESTORE_ACTION_PURGE_AND_RESTORE);
  self->syncing = FALSE;

  gtk_widget_set_sensitive (self->choice_box, self->editable);
  gtk_widget_set_sensitive (GTK_WIDGET (self->purge_button),
                            kvb_restore_plan_entry_can (entry, KVB_RESTORE_ACTION_PURGE_AND_RESTORE));
  gtk_widget_set_sensitive (GTK_WIDGET (self->recover_button),
                            kvb_restore_plan_entry_can (entry, KVB_RESTORE_ACTION_RECOVER));

  /* The row reads as one sentence to a screen reader. */
  gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  name != NULL ? name : file_name,
                                  GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, state_words, -1);
}

static void
choose (KvbRestoreRow    *self,
        KvbRestoreAction  action)
{
  g_autoptr(GError) error = NULL;

  if (!kvb_restore_plan_entry_set_action (self->entry, action, &error))
    g_debug ("Choice refused: %s", error->message);
  /* Also when refused: the toggles show the entry's action, not the click. */
  sync_entry (self);
}

static void
skip_toggled_cb (KvbRestoreRow *self)
{
  if (!self->syncing)
    choose (self, KVB_RESTORE_ACTION_SKIP);
}

static void
recover_toggled_cb (KvbRestoreRow *self)
{
  if (!self->syncing)
    choose (self, KVB_RESTORE_ACTION_RECOVER);
}

static void
purge_response_cb (AdwMessageDialog *dialog,
                   const char       *response,
                   gpointer          user_data)
{
  g_autoptr(KvbRestoreRow) self = user_data;

  if (g_str_equal (response, "purge") && self->editable)
    choose (self, KVB_RESTORE_ACTION_PURGE_AND_RESTORE);
}

static const char *
purge_body_format (KvbObjectKind kind)
{
  switch (kind)
    {
    case KVB_OBJECT_KIND_SECRET:
      return _("The deleted secret and all its versions are removed for good before the backup "
               "is restored. This cannot be undone.");
    case KVB_OBJECT_KIND_KEY:
      return _("The deleted key and all its versions are removed for good before the backup "
               "is restored. This cannot be undone.");
    case KVB_OBJECT_KIND_CERTIFICATE:
      return _("The deleted certificate, all its versions, and its key and secret are removed "
               "for good before the backup is restored. This cannot be undone.");
    default:
      g_assert_not_reached ();
    }
}

static void
purge_toggled_cb (KvbRestoreRow *self)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  const char *name = kvb_restore_plan_entry_get_name (self->entry);
  g_autofree char *heading = NULL;
  GtkWidget *dialog;

  if (self->syncing)
    return;
  /* Nothing is chosen until the confirmation says so. */
  sync_entry (self);
  if (kvb_restore_plan_entry_get_action (self->entry) == KVB_RESTORE_ACTION_PURGE_AND_RESTORE)
    return;

  heading = g_strdup_printf (_("Purge “%s”?"), name != NULL ? name : "");
  dialog = adw_message_dialog_new (GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL, heading,
                                   purge_body_format (kvb_restore_plan_entry_get_kind (self->entry)));
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "cancel", _("_Cancel"),
                                    "purge", _("_Purge and Restore"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "purge",
                                              ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_signal_connect (dialog, "response", G_CALLBACK (purge_response_cb), g_object_ref (self));
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
choose_kind (KvbRestoreRow *self,
             KvbObjectKind  kind)
{
  g_autoptr(GError) error = NULL;

  if (!kvb_restore_plan_choose_kind (self->plan, self->entry, kind, &error))
    {
      /* The file itself says it is not of that kind: the row tells why. */
      gtk_label_set_label (self->message_label, error->message);
      gtk_widget_set_visible (GTK_WIDGET (self->message_label), TRUE);
      return;
    }
  sync_entry (self);
}

static void
key_clicked_cb (KvbRestoreRow *self)
{
  choose_kind (self, KVB_OBJECT_KIND_KEY);
}

static void
certificate_clicked_cb (KvbRestoreRow *self)
{
  choose_kind (self, KVB_OBJECT_KIND_CERTIFICATE);
}

static void
kvb_restore_row_dispose (GObject *object)
{
  KvbRestoreRow *self = KVB_RESTORE_ROW (object);

  if (self->entry != NULL)
    g_signal_handlers_disconnect_by_data (self->entry, self);
  gtk_widget_dispose_template (GTK_WIDGET (self), KVB_TYPE_RESTORE_ROW);
  g_clear_object (&self->entry);
  g_clear_object (&self->plan);
  g_clear_pointer (&self->purge_reason, g_free);

  G_OBJECT_CLASS (kvb_restore_row_parent_class)->dispose (object);
}

static void
kvb_restore_row_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  KvbRestoreRow *self = KVB_RESTORE_ROW (object);

  switch (prop_id)
    {
    case PROP_EDITABLE:
      g_value_set_boolean (value, self->editable);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
kvb_restore_row_set_property (GObject      *object,
                              guint         prop_id,
                              const GValue *value,
                              GParamSpec   *pspec)
{
  KvbRestoreRow *self = KVB_RESTORE_ROW (object);

  switch (prop_id)
    {
    case PROP_EDITABLE:
      kvb_restore_row_set_editable (self, g_value_get_boolean (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
kvb_restore_row_class_init (KvbRestoreRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = kvb_restore_row_dispose;
  object_class->get_property = kvb_restore_row_get_property;
  object_class->set_property = kvb_restore_row_set_property;

  properties[PROP_EDITABLE] =
    g_param_spec_boolean ("editable", NULL, NULL, TRUE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class, APP_PATH "/ui/kvb-restore-row.ui");
  gtk_widget_class_bind_template_child (widget_class, KvbRestoreRow, spinner);
  gtk_widget_class_bind_template_child (widget_class, KvbRestoreRow, status_icon);
  gtk_widget_class_bind_template_child (widget_class, KvbRestoreRow, title_label);
  gtk_widget_class_bind_template_child (widget_class, KvbRestoreRow, detail_label);
  gtk_widget_class_bind_template_child (widget_class, KvbRestoreRow, state_label);
  gtk_widget_class_bind_template_child (widget_class, KvbRestoreRow, message_label);
  gtk_widget_class_bind_template_child (widget_class, KvbRestoreRow, choice_box);
  gtk_widget_class_bind_template_child (widget_class, KvbRestoreRow, key_button);
  gtk_widget_class_bind_template_child (widget_class, KvbRestoreRow, certificate_button);
  gtk_widget_class_bind_template_child (widget_class, KvbRestoreRow, skip_button);
  gtk_widget_class_bind_template_child (widget_class, KvbRestoreRow, recover_button);
  gtk_widget_class_bind_template_child (widget_class, KvbRestoreRow, purge_button);
  gtk_widget_class_bind_template_callback (widget_class, skip_toggled_cb);
  gtk_widget_class_bind_template_callback (widget_class, recover_toggled_cb);
  gtk_widget_class_bind_template_callback (widget_class, purge_toggled_cb);
  gtk_widget_class_bind_template_callback (widget_class, key_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, certificate_clicked_cb);
}

static void
kvb_restore_row_init (KvbRestoreRow *self)
{
  self->editable = TRUE;
  gtk_widget_init_template (GTK_WIDGET (self));
}

GtkWidget *
kvb_restore_row_new (KvbRestorePlan      *plan,
                     KvbRestorePlanEntry *entry)
{
  KvbRestoreRow *self;

  g_return_val_if_fail (KVB_IS_RESTORE_PLAN (plan), NULL);
  g_return_val_if_fail (KVB_IS_RESTORE_PLAN_ENTRY (entry), NULL);

  self = g_object_new (KVB_TYPE_RESTORE_ROW, NULL);
  self->plan = g_object_ref (plan);
  self->entry = g_object_ref (entry);

  g_signal_connect_object (entry, "notify::state", G_CALLBACK (sync_entry), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (entry, "notify::action", G_CALLBACK (sync_entry), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (entry, "notify::name", G_CALLBACK (sync_entry), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (entry, "notify::kind", G_CALLBACK (sync_entry), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (entry, "notify::status", G_CALLBACK (sync_status), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (entry, "notify::status", G_CALLBACK (sync_entry), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (entry, "notify::message", G_CALLBACK (sync_status), self, G_CONNECT_SWAPPED);
  sync_entry (self);
  sync_status (self);

  return GTK_WIDGET (self);
}

KvbRestorePlanEntry *
kvb_restore_row_get_entry (KvbRestoreRow *self)
{
  g_return_val_if_fail (KVB_IS_RESTORE_ROW (self), NULL);

  return self->entry;
}

void
kvb_restore_row_set_editable (KvbRestoreRow *self,
                              gboolean       editable)
{
  g_return_if_fail (KVB_IS_RESTORE_ROW (self));

  editable = !!editable;
  if (self->editable == editable)
    return;
  self->editable = editable;
  if (self->entry != NULL)
    sync_entry (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_EDITABLE]);
}
