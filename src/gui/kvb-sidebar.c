/* kvb-sidebar.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "kvb-sidebar"

#include "config.h"

#include <glib/gi18n.h>

#include "kvb-error.h"
#include "kvb-history.h"
#include "kvb-history-item.h"
#include "kvb-sidebar.h"
#include "kvb-vault-finder.h"

struct _KvbSidebar
{
  AdwBin           parent_instance;

  /* Template widgets */
  GtkMenuButton   *accounts_button;
  GtkListBox      *accounts_list;
  GtkStack        *sidebar_stack;
  GtkListBox      *sidebar_list;
  GtkRevealer     *selection_revealer;
  GtkLabel        *selection_label;
  GtkButton       *selection_button;

  /* Owned references */
  GListStore      *sessions;      /* of KvbAccountSession, in the order they were added */
  KvbPipeline     *pipeline;
  KvbAccountStore *store;
  GCancellable    *cancellable;   /* sign-outs; cancelled when the sidebar goes */
  GMenuModel      *menu_model;
  gboolean         folded;
  KvbHistory      *history;
  GPtrArray       *history_entries;  /* (nullable): as last read, newest first */
  GCancellable    *history_cancellable;
  guint            n_selected_vaults;
  KvbVaultInfo    *shown_vault;      /* (unowned): the vault last told by "vault-selected", for
                                      * comparison only; its row holds it */
};

G_DEFINE_FINAL_TYPE (KvbSidebar, kvb_sidebar, ADW_TYPE_BIN)

enum {
  PROP_0,
  PROP_SESSIONS,
  PROP_MENU_MODEL,
  PROP_FOLDED,
  PROP_N_SELECTED_VAULTS,
  N_PROPS
};

enum {
  VAULT_SELECTED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static void rebuild (KvbSidebar *self);
static void update_history_labels (KvbSidebar *self);

static void
toast (KvbSidebar *self,
       const char *message)
{
  gtk_widget_activate_action (GTK_WIDGET (self), "win.toast", "s", message);
}

/* Sessions */

static void
session_changed_cb (KvbSidebar *self)
{
  rebuild (self);
}

/* The sidebar shows @session from now on and lists its vaults. */
static void
take_session (KvbSidebar        *self,
              KvbAccountSession *session,
              int                replace)
{
  g_signal_connect_object (session, "changed", G_CALLBACK (session_changed_cb), self, G_CONNECT_SWAPPED);
  kvb_account_session_load (session);
  if (replace >= 0)
    {
      g_autoptr(KvbAccountSession) old = g_list_model_get_item (G_LIST_MODEL (self->sessions), replace);

      g_signal_handlers_disconnect_by_data (old, self);
      kvb_account_session_stop (old);
      g_list_store_splice (self->sessions, replace, 1, (gpointer *) &session, 1);
    }
  else
    g_list_store_append (self->sessions, session);
}

/* The session leaves the sidebar: its work stops, and late answers are dropped. */
static void
drop_session (KvbSidebar *self,
              guint       position)
{
  g_autoptr(KvbAccountSession) session = g_list_model_get_item (G_LIST_MODEL (self->sessions), position);

  g_signal_handlers_disconnect_by_data (session, self);
  kvb_account_session_stop (session);
  g_list_store_remove (self->sessions, position);
}

static int
find_account (KvbSidebar *self,
              KvbAccount *account)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->sessions));

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(KvbAccountSession) session = g_list_model_get_item (G_LIST_MODEL (self->sessions), i);
      KvbAccount *shown = kvb_account_session_get_account (session);

      if (shown != NULL && g_strcmp0 (kvb_account_get_id (shown), kvb_account_get_id (account)) == 0)
        return i;
    }
  return -1;
}

/* Keeps one session per account of the store: new accounts get one (and start listing their
 * vaults), accounts that left the store lose theirs.  The sample cloud is not in the store. */
static void
sync_store_sessions (KvbSidebar *self)
{
  GListModel *model = G_LIST_MODEL (self->store);
  guint n = g_list_model_get_n_items (model);

  for (guint i = g_list_model_get_n_items (G_LIST_MODEL (self->sessions)); i > 0; i--)
    {
      g_autoptr(KvbAccountSession) session = g_list_model_get_item (G_LIST_MODEL (self->sessions), i - 1);
      KvbAccount *shown = kvb_account_session_get_account (session);
      gboolean found = FALSE;

      if (shown == NULL)
        continue;
      for (guint j = 0; j < n && !found; j++)
        {
          g_autoptr(KvbAccount) account = g_list_model_get_item (model, j);
          found = g_strcmp0 (kvb_account_get_id (account), kvb_account_get_id (shown)) == 0;
        }
      if (!found)
        drop_session (self, i - 1);
    }

  for (guint j = 0; j < n; j++)
    {
      g_autoptr(KvbAccount) account = g_list_model_get_item (model, j);
      g_autoptr(KvbAccountSession) session = NULL;

      if (find_account (self, account) >= 0)
        continue;
      session = kvb_account_session_new_for_account (self->store, self->pipeline, account);
      take_session (self, session, -1);
    }

  rebuild (self);
}

KvbAccountSession *
kvb_sidebar_add_session (KvbSidebar        *self,
                         KvbAccountSession *session)
{
  KvbAccount *account;
  guint position;
  int shown;

  g_return_val_if_fail (KVB_IS_SIDEBAR (self), NULL);
  g_return_val_if_fail (KVB_IS_ACCOUNT_SESSION (session), NULL);

  if (g_list_store_find (self->sessions, session, &position))
    return session;

  account = kvb_account_session_get_account (session);
  shown = account != NULL ? find_account (self, account) : -1;
  if (shown >= 0)
    {
      g_autoptr(KvbAccountSession) old = g_list_model_get_item (G_LIST_MODEL (self->sessions), shown);

      if (kvb_account_session_get_account (old) == account)
        return old;
    }

  /* New, or signed in again to an account already shown: it starts afresh. */
  take_session (self, session, shown);
  rebuild (self);
  return session;
}

GListModel *
kvb_sidebar_get_sessions (KvbSidebar *self)
{
  g_return_val_if_fail (KVB_IS_SIDEBAR (self), NULL);
  return G_LIST_MODEL (self->sessions);
}

void
kvb_sidebar_reload (KvbSidebar *self)
{
  guint n;

  g_return_if_fail (KVB_IS_SIDEBAR (self));

  n = g_list_model_get_n_items (G_LIST_MODEL (self->sessions));
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(KvbAccountSession) session = g_list_model_get_item (G_LIST_MODEL (self->sessions), i);

      kvb_account_session_load (session);
    }
  rebuild (self);
}

void
kvb_sidebar_set_account_store (KvbSidebar      *self,
                               KvbPipeline     *pipeline,
                               KvbAccountStore *store)
{
  g_return_if_fail (KVB_IS_SIDEBAR (self));
  g_return_if_fail (KVB_IS_PIPELINE (pipeline));
  g_return_if_fail (KVB_IS_ACCOUNT_STORE (store));
  g_return_if_fail (self->store == NULL);

  self->pipeline = g_object_ref (pipeline);
  self->store = g_object_ref (store);
  g_signal_connect_object (store, "items-changed", G_CALLBACK (sync_store_sessions), self,
                           G_CONNECT_SWAPPED);
  sync_store_sessions (self);
}

/* The list */

static GtkWidget *
sidebar_label (const char *text,
               const char *css_class,
               gboolean    wrap)
{
  GtkWidget *label = gtk_label_new (text);

  gtk_label_set_xalign (GTK_LABEL (label), 0);
  if (wrap)
    {
      gtk_label_set_wrap (GTK_LABEL (label), TRUE);
      gtk_label_set_wrap_mode (GTK_LABEL (label), PANGO_WRAP_WORD_CHAR);
    }
  else
    {
      /* The sidebar is narrow: a long account or vault name stays readable on hover. */
      gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_END);
      if (text != NULL && *text != '\0')
        gtk_widget_set_tooltip_text (label, text);
    }
  if (css_class != NULL)
    gtk_widget_add_css_class (label, css_class);
  return label;
}

/* A row that only says something: not selectable, not activatable. */
static void
append_note (GtkListBox *list,
             GtkWidget  *child)
{
  GtkWidget *row = gtk_list_box_row_new ();

  gtk_list_box_row_set_child (GTK_LIST_BOX_ROW (row), child);
  gtk_list_box_row_set_selectable (GTK_LIST_BOX_ROW (row), FALSE);
  gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), FALSE);
  gtk_list_box_append (list, row);
}

/* A tenant of the account that would not list its subscriptions (another sign-in policy, say),
 * while the others did. */
static GtkWidget *
skipped_tenant_note (KvbFoundSubscription *sub)
{
  GtkWidget *note = gtk_box_new (GTK_ORIENTATION_VERTICAL, 3);
  const char *name = kvb_tenant_info_get_display_name (sub->tenant);
  g_autofree char *heading = NULL;

  if (name == NULL)
    name = kvb_tenant_info_get_default_domain (sub->tenant);
  if (name == NULL)
    name = kvb_tenant_info_get_tenant_id (sub->tenant);
  /* translators: %s is the name of an Azure tenant (directory) */
  heading = g_strdup_printf (_("Tenant %s"), name);
  gtk_box_append (GTK_BOX (note), sidebar_label (heading, "sidebar-heading", FALSE));
  gtk_box_append (GTK_BOX (note), sidebar_label (sub->error->message, "dim-label", TRUE));
  return note;
}

/* Why a subscription's vaults are missing, and what to do about it. */
static GtkWidget *
subscription_error_note (KvbFoundSubscription *sub)
{
  GtkWidget *note = gtk_box_new (GTK_ORIENTATION_VERTICAL, 3);
  g_autofree char *command = NULL;
  GtkWidget *label;

  if (!g_error_matches (sub->error, KVB_ERROR, KVB_ERROR_PROVIDER_NOT_REGISTERED))
    {
      gtk_box_append (GTK_BOX (note), sidebar_label (sub->error->message, "dim-label", TRUE));
      return note;
    }

  /* The core's message names the subscription by id, which the heading above already does by
   * name; here the room goes to how to register, a one-time step outside this application. */
  gtk_box_append (GTK_BOX (note),
                  sidebar_label (_("The resource provider Microsoft.KeyVault is not registered in "
                                   "this subscription. Someone with the role “Contributor” can "
                                   "register it; then reload the vaults."),
                                 "dim-label", TRUE));
  label = sidebar_label (_("In the Azure portal: the subscription, Resource providers, "
                           "Microsoft.KeyVault, Register. Or with Azure CLI:"),
                         "dim-label", TRUE);
  gtk_widget_add_css_class (label, "caption");
  gtk_box_append (GTK_BOX (note), label);

  command = g_strdup_printf ("az provider register --namespace Microsoft.KeyVault --subscription %s",
                             kvb_subscription_info_get_subscription_id (sub->info));
  label = sidebar_label (command, "monospace", TRUE);
  gtk_widget_add_css_class (label, "caption");
  gtk_label_set_selectable (GTK_LABEL (label), TRUE);
  gtk_box_append (GTK_BOX (note), label);

  return note;
}


static void
retry_clicked_cb (GtkButton  *button,
                  KvbSidebar *self)
{
  KvbAccountSession *session = g_object_get_data (G_OBJECT (button), "session");

  /* Without a credential (its cloud profile could not be read) only a new sign-in helps. */
  if (kvb_account_session_needs_sign_in (session))
    {
      gtk_widget_activate_action (GTK_WIDGET (self), "win.add-account", NULL);
      return;
    }
  kvb_account_session_load (session);
  rebuild (self);
}

static void
append_session (KvbSidebar        *self,
                KvbAccountSession *session,
                gboolean           first)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  GPtrArray *subscriptions = kvb_account_session_get_subscriptions (session);
  const char *error = kvb_account_session_get_error (session);

  gtk_widget_set_margin_top (box, first ? 6 : 18);
  gtk_box_append (GTK_BOX (box), sidebar_label (kvb_account_session_get_title (session), "heading", FALSE));
  gtk_box_append (GTK_BOX (box), sidebar_label (kvb_account_session_get_subtitle (session), "dim-label", FALSE));
  gtk_widget_add_css_class (gtk_widget_get_last_child (box), "caption");
  append_note (self->sidebar_list, box);

  if (error != NULL)
    {
      GtkWidget *note = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
      GtkWidget *button;

      gtk_box_append (GTK_BOX (note), sidebar_label (error, "error", TRUE));
      /* A refused sign-in needs the person; anything else may pass. */
      if (kvb_account_session_needs_sign_in (session))
        button = gtk_button_new_with_mnemonic (_("Sign In _Again"));
      else
        button = gtk_button_new_with_mnemonic (_("_Try Again"));
      gtk_widget_set_halign (button, GTK_ALIGN_START);
      g_object_set_data_full (G_OBJECT (button), "session", g_object_ref (session), g_object_unref);
      g_signal_connect (button, "clicked", G_CALLBACK (retry_clicked_cb), self);
      gtk_box_append (GTK_BOX (note), button);
      append_note (self->sidebar_list, note);
      return;
    }

  if (subscriptions == NULL)
    {
      GtkWidget *busy = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
      GtkWidget *spinner = gtk_spinner_new ();

      gtk_spinner_start (GTK_SPINNER (spinner));
      gtk_box_append (GTK_BOX (busy), spinner);
      gtk_box_append (GTK_BOX (busy), sidebar_label (_("Loading subscriptions and vaults…"), "dim-label", TRUE));
      append_note (self->sidebar_list, busy);
      return;
    }

  if (subscriptions->len == 0)
    append_note (self->sidebar_list,
                 sidebar_label (_("This account sees no subscriptions."), "dim-label", TRUE));

  for (guint j = 0; j < subscriptions->len; j++)
    {
      KvbFoundSubscription *sub = g_ptr_array_index (subscriptions, j);
      const char *sub_name;

      if (sub->info == NULL)
        {
          append_note (self->sidebar_list, skipped_tenant_note (sub));
          continue;
        }

      sub_name = kvb_subscription_info_get_display_name (sub->info);
      if (sub_name == NULL)
        sub_name = kvb_subscription_info_get_subscription_id (sub->info);
      append_note (self->sidebar_list, sidebar_label (sub_name, "sidebar-heading", FALSE));

      if (sub->error != NULL)
        append_note (self->sidebar_list, subscription_error_note (sub));
      else if (sub->vaults->len == 0)
        append_note (self->sidebar_list, sidebar_label (_("No vaults"), "dim-label", TRUE));

      for (guint k = 0; sub->error == NULL && k < sub->vaults->len; k++)
        {
          KvbVaultInfo *vault = g_ptr_array_index (sub->vaults, k);
          const char *location = kvb_vault_info_get_location (vault);
          GtkWidget *row = gtk_list_box_row_new ();
          GtkWidget *vbox = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
          GtkWidget *place;

          gtk_box_append (GTK_BOX (vbox), sidebar_label (kvb_vault_info_get_name (vault), NULL, FALSE));
          place = sidebar_label (location ? location : "", "caption", FALSE);
          gtk_widget_add_css_class (place, "dim-label");
          gtk_box_append (GTK_BOX (vbox), place);
          /* When it was last backed up: filled in from the history. */
          place = sidebar_label ("", "caption", FALSE);
          gtk_widget_add_css_class (place, "dim-label");
          gtk_widget_set_visible (place, FALSE);
          gtk_box_append (GTK_BOX (vbox), place);
          g_object_set_data (G_OBJECT (row), "last-backup-label", place);
          gtk_list_box_row_set_child (GTK_LIST_BOX_ROW (row), vbox);
          g_object_set_data_full (G_OBJECT (row), "vault", g_object_ref (vault), g_object_unref);
          g_object_set_data_full (G_OBJECT (row), "session", g_object_ref (session), g_object_unref);
          gtk_list_box_append (self->sidebar_list, row);
        }
    }
}

static void
rebuild (KvbSidebar *self)
{
  GListModel *sessions = G_LIST_MODEL (self->sessions);
  guint n = g_list_model_get_n_items (sessions);
  GtkWidget *child;

  /* Let go of the chosen rows first: each chosen row removed would otherwise show another one
   * that is about to go too. */
  gtk_list_box_unselect_all (self->sidebar_list);
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->sidebar_list))) != NULL)
    gtk_list_box_remove (self->sidebar_list, child);
  self->shown_vault = NULL;
  g_signal_emit (self, signals[VAULT_SELECTED], 0, NULL, NULL);

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(KvbAccountSession) session = g_list_model_get_item (sessions, i);

      append_session (self, session, i == 0);
    }

  gtk_stack_set_visible_child_name (self->sidebar_stack, "list");
  update_history_labels (self);
}

/* Last backed up */

static void
update_history_labels (KvbSidebar *self)
{
  g_autoptr(GDateTime) now = NULL;

  if (self->history_entries == NULL || self->sidebar_list == NULL)
    return;

  now = g_date_time_new_now_utc ();
  for (GtkWidget *row = gtk_widget_get_first_child (GTK_WIDGET (self->sidebar_list)); row != NULL;
       row = gtk_widget_get_next_sibling (row))
    {
      KvbVaultInfo *vault = g_object_get_data (G_OBJECT (row), "vault");
      GtkWidget *label = g_object_get_data (G_OBJECT (row), "last-backup-label");
      g_autoptr(GDateTime) last = NULL;
      g_autofree char *text = NULL;

      if (vault == NULL || label == NULL)
        continue;
      last = kvb_history_find_last_backup (self->history_entries, kvb_vault_info_get_name (vault));
      text = kvb_history_format_last_backup (last, now);
      gtk_label_set_text (GTK_LABEL (label), text);
      gtk_widget_set_tooltip_text (label, text);
      gtk_widget_set_visible (label, TRUE);
    }
}

static void
history_read_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  KvbSidebar *self = user_data;
  g_autoptr(GPtrArray) entries = NULL;
  g_autoptr(GError) error = NULL;

  /* The sidebar is not held: a newer reading and its dispose cancel this one, which then ends
   * here before @self is looked at. */
  entries = kvb_history_read_finish (KVB_HISTORY (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (entries == NULL)
    {
      /* The vaults are listed all the same, without the line. */
      g_debug ("history: %s", error->message);
      return;
    }
  g_clear_pointer (&self->history_entries, g_ptr_array_unref);
  self->history_entries = g_steal_pointer (&entries);
  update_history_labels (self);
}

void
kvb_sidebar_refresh_history (KvbSidebar *self)
{
  g_return_if_fail (KVB_IS_SIDEBAR (self));

  if (self->history == NULL)
    return;   /* torn down */
  /* Only the newest reading counts. */
  g_cancellable_cancel (self->history_cancellable);
  g_clear_object (&self->history_cancellable);
  self->history_cancellable = g_cancellable_new ();
  kvb_history_read_async (self->history, NULL, 0, self->history_cancellable, history_read_cb, self);
}

static void
row_selected_cb (KvbSidebar    *self,
                 GtkListBoxRow *row)
{
  KvbVaultInfo *vault;
  KvbAccountSession *session;

  /* A Ctrl-click that takes one vault out of several: the page keeps showing its vault if that
   * is still chosen, or else shows one that is. */
  if (row == NULL)
    {
      GList *selected = gtk_list_box_get_selected_rows (self->sidebar_list);

      for (GList *l = selected; l != NULL; l = l->next)
        {
          if (row == NULL || g_object_get_data (l->data, "vault") == self->shown_vault)
            row = l->data;
        }
      g_list_free (selected);
      if (row != NULL && g_object_get_data (G_OBJECT (row), "vault") == self->shown_vault)
        return;
    }
  vault = row ? g_object_get_data (G_OBJECT (row), "vault") : NULL;
  session = vault ? g_object_get_data (G_OBJECT (row), "session") : NULL;
  self->shown_vault = vault;
  g_signal_emit (self, signals[VAULT_SELECTED], 0, vault, session);
}

static void
selected_rows_changed_cb (KvbSidebar *self)
{
  GList *selected = gtk_list_box_get_selected_rows (self->sidebar_list);
  guint n = 0;

  for (GList *l = selected; l != NULL; l = l->next)
    if (g_object_get_data (l->data, "vault") != NULL)
      n++;
  g_list_free (selected);

  if (n >= 2)
    {
      g_autofree char *said = NULL;
      g_autofree char *label = NULL;

      /* translators: how many vaults are chosen in the sidebar */
      said = g_strdup_printf (ngettext ("%u vault chosen", "%u vaults chosen", n), n);
      /* translators: a button that backs up every vault chosen in the sidebar */
      label = g_strdup_printf (ngettext ("_Back Up %u Vault…", "_Back Up %u Vaults…", n), n);
      gtk_label_set_text (self->selection_label, said);
      gtk_button_set_label (self->selection_button, label);
    }
  gtk_revealer_set_reveal_child (self->selection_revealer, n >= 2);

  if (n != self->n_selected_vaults)
    {
      self->n_selected_vaults = n;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_SELECTED_VAULTS]);
    }
}

guint
kvb_sidebar_get_n_selected_vaults (KvbSidebar *self)
{
  g_return_val_if_fail (KVB_IS_SIDEBAR (self), 0);
  return self->n_selected_vaults;
}

void
kvb_sidebar_dup_selected_vaults (KvbSidebar  *self,
                                 GPtrArray  **vaults,
                                 GPtrArray  **sessions)
{
  g_return_if_fail (KVB_IS_SIDEBAR (self));
  g_return_if_fail (vaults != NULL && sessions != NULL);

  *vaults = g_ptr_array_new_with_free_func (g_object_unref);
  *sessions = g_ptr_array_new_with_free_func (g_object_unref);
  /* In the order of the list, not of the clicks. */
  for (GtkWidget *row = gtk_widget_get_first_child (GTK_WIDGET (self->sidebar_list)); row != NULL;
       row = gtk_widget_get_next_sibling (row))
    {
      KvbVaultInfo *vault = g_object_get_data (G_OBJECT (row), "vault");

      if (vault == NULL || !gtk_list_box_row_is_selected (GTK_LIST_BOX_ROW (row)))
        continue;
      g_ptr_array_add (*vaults, g_object_ref (vault));
      g_ptr_array_add (*sessions, g_object_ref (g_object_get_data (G_OBJECT (row), "session")));
    }
}

/* Accounts menu */

/* The account is held until the sign-out is over: the store drops it from its list (and the
 * sidebar its session) while the keyring items are still being removed. */
typedef struct
{
  KvbSidebar *self;
  KvbAccount *account;
} SignOutData;

static void
signed_out_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  SignOutData *data = user_data;
  g_autoptr(KvbSidebar) self = data->self;
  g_autoptr(KvbAccount) account = data->account;
  g_autoptr(GError) error = NULL;

  g_free (data);

  if (!kvb_account_store_sign_out_finish (KVB_ACCOUNT_STORE (source), result, &error))
    {
      if (self->store != NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        toast (self, error->message);
      return;
    }
  if (self->store == NULL)
    return;   /* the sidebar is gone */
  sync_store_sessions (self);
}

static void
sign_out (KvbSidebar        *self,
          KvbAccountSession *session)
{
  KvbAccount *account = kvb_account_session_get_account (session);
  g_autofree char *message = NULL;
  guint position;

  if (account != NULL)
    {
      SignOutData *data = g_new0 (SignOutData, 1);

      data->self = g_object_ref (self);
      data->account = g_object_ref (account);
      kvb_account_store_sign_out_async (self->store, data->account, self->cancellable,
                                        signed_out_cb, data);
      return;
    }

  /* The sample cloud: stopping it is all there is to it. */
  /* translators: %s is an account name */
  message = g_strdup_printf (_("Signed out of %s"), kvb_account_session_get_title (session));
  if (g_list_store_find (self->sessions, session, &position))
    drop_session (self, position);
  rebuild (self);
  toast (self, message);
}

/* What signing out takes away, in the words of the confirmation. */
static const char *
sign_out_consequence (KvbAccountSession *session)
{
  KvbAccount *account = kvb_account_session_get_account (session);

  if (account == NULL)
    return _("The sample cloud stops, and nothing of it is kept.");

  switch (kvb_account_get_kind (account))
    {
    case KVB_ACCOUNT_KIND_USER:
      return _("Its refresh token is removed from the keyring.");
    case KVB_ACCOUNT_KIND_SERVICE_PRINCIPAL:
      if (kvb_account_get_certificate (account) != NULL)
        return _("The location of its certificate file is forgotten; the file itself stays where it is.");
      return _("Its client secret is removed from the keyring.");
    case KVB_ACCOUNT_KIND_AZURE_CLI:
      return _("The Azure CLI stays signed in; only this application forgets the account.");
    default:
      g_return_val_if_reached (NULL);
    }
}

static void
sign_out_response_cb (AdwMessageDialog *dialog,
                      const char       *response,
                      KvbSidebar       *self)
{
  KvbAccountSession *session = g_object_get_data (G_OBJECT (dialog), "session");

  /* The session may have left the sidebar while the question was open. */
  if (g_strcmp0 (response, "sign-out") == 0 && self->store != NULL &&
      g_list_store_find (self->sessions, session, NULL))
    sign_out (self, session);
}

/* The question is destroyed when it closes, never kept hidden: a hidden window crashes GTK 4.8
 * under a screen reader (see shortcuts_activated() in kvb-application.c). */
static void
sign_out_clicked_cb (GtkButton  *button,
                     KvbSidebar *self)
{
  KvbAccountSession *session = g_object_get_data (G_OBJECT (button), "session");
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  g_autofree char *heading = NULL;
  GtkWidget *dialog;

  gtk_popover_popdown (gtk_menu_button_get_popover (self->accounts_button));

  /* translators: %s is an account name */
  heading = g_strdup_printf (_("Sign out of %s?"), kvb_account_session_get_title (session));
  dialog = adw_message_dialog_new (GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL, heading,
                                   sign_out_consequence (session));
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "cancel", _("_Cancel"),
                                    "sign-out", _("_Sign Out"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "sign-out",
                                              ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_object_set_data_full (G_OBJECT (dialog), "session", g_object_ref (session), g_object_unref);
  g_signal_connect_object (dialog, "response", G_CALLBACK (sign_out_response_cb), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

static GtkWidget *
create_account_row (gpointer item,
                    gpointer user_data)
{
  KvbAccountSession *session = item;
  GtkWidget *row = adw_action_row_new ();
  GtkWidget *button = gtk_button_new_with_label (_("Sign Out"));
  g_autofree char *label = NULL;

  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), kvb_account_session_get_title (session));
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), kvb_account_session_get_subtitle (session));
  gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
  /* translators: %s is an account's user name */
  label = g_strdup_printf (_("Sign out of %s"), kvb_account_session_get_title (session));
  gtk_widget_set_tooltip_text (button, label);
  /* The name stays "Sign Out" as on screen; which account it is for is told besides. */
  gtk_accessible_update_property (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, label, -1);
  g_object_set_data_full (G_OBJECT (button), "session", g_object_ref (session), g_object_unref);
  g_signal_connect (button, "clicked", G_CALLBACK (sign_out_clicked_cb), user_data);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), button);
  return row;
}

static void
update_accounts_button (KvbSidebar *self)
{
  gtk_widget_set_visible (GTK_WIDGET (self->accounts_button),
                          g_list_model_get_n_items (G_LIST_MODEL (self->sessions)) > 0);
}

static void
add_account_cb (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  KvbSidebar *self = KVB_SIDEBAR (widget);

  gtk_popover_popdown (gtk_menu_button_get_popover (self->accounts_button));
  gtk_widget_activate_action (widget, "win.add-account", NULL);
}

static void
kvb_sidebar_dispose (GObject *object)
{
  KvbSidebar *self = (KvbSidebar *)object;

  g_cancellable_cancel (self->cancellable);
  g_cancellable_cancel (self->history_cancellable);
  if (self->sessions != NULL)
    {
      while (g_list_model_get_n_items (G_LIST_MODEL (self->sessions)) > 0)
        drop_session (self, 0);
    }
  if (self->store != NULL)
    g_signal_handlers_disconnect_by_data (self->store, self);
  /* The rows go with the template: their unselection is nobody's business any more. */
  if (self->sidebar_list != NULL)
    g_signal_handlers_disconnect_by_data (self->sidebar_list, self);

  gtk_widget_dispose_template (GTK_WIDGET (self), KVB_TYPE_SIDEBAR);
  g_clear_object (&self->sessions);
  g_clear_object (&self->store);
  g_clear_object (&self->pipeline);
  g_clear_object (&self->menu_model);
  g_clear_object (&self->history);
  g_clear_pointer (&self->history_entries, g_ptr_array_unref);

  G_OBJECT_CLASS (kvb_sidebar_parent_class)->dispose (object);
}

static void
kvb_sidebar_finalize (GObject *object)
{
  KvbSidebar *self = (KvbSidebar *)object;

  g_clear_object (&self->cancellable);
  g_clear_object (&self->history_cancellable);

  G_OBJECT_CLASS (kvb_sidebar_parent_class)->finalize (object);
}

static void
kvb_sidebar_get_property (GObject    *object,
                          guint       prop_id,
                          GValue     *value,
                          GParamSpec *pspec)
{
  KvbSidebar *self = KVB_SIDEBAR (object);

  switch (prop_id)
    {
    case PROP_SESSIONS:
      g_value_set_object (value, self->sessions);
      break;
    case PROP_MENU_MODEL:
      g_value_set_object (value, self->menu_model);
      break;
    case PROP_FOLDED:
      g_value_set_boolean (value, self->folded);
      break;
    case PROP_N_SELECTED_VAULTS:
      g_value_set_uint (value, self->n_selected_vaults);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
kvb_sidebar_set_property (GObject      *object,
                          guint         prop_id,
                          const GValue *value,
                          GParamSpec   *pspec)
{
  KvbSidebar *self = KVB_SIDEBAR (object);

  switch (prop_id)
    {
    case PROP_MENU_MODEL:
      if (g_set_object (&self->menu_model, g_value_get_object (value)))
        g_object_notify_by_pspec (object, pspec);
      break;
    case PROP_FOLDED:
      if (self->folded != g_value_get_boolean (value))
        {
          self->folded = g_value_get_boolean (value);
          g_object_notify_by_pspec (object, pspec);
        }
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
kvb_sidebar_class_init (KvbSidebarClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = kvb_sidebar_dispose;
  object_class->finalize = kvb_sidebar_finalize;
  object_class->get_property = kvb_sidebar_get_property;
  object_class->set_property = kvb_sidebar_set_property;

  properties[PROP_SESSIONS] =
    g_param_spec_object ("sessions", NULL, NULL, G_TYPE_LIST_MODEL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_MENU_MODEL] =
    g_param_spec_object ("menu-model", NULL, NULL, G_TYPE_MENU_MODEL,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_FOLDED] =
    g_param_spec_boolean ("folded", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_N_SELECTED_VAULTS] =
    g_param_spec_uint ("n-selected-vaults", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[VAULT_SELECTED] =
    g_signal_new ("vault-selected", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 2, KVB_TYPE_VAULT_INFO, KVB_TYPE_ACCOUNT_SESSION);

  gtk_widget_class_set_template_from_resource (widget_class, APP_PATH "/ui/kvb-sidebar.ui");
  gtk_widget_class_bind_template_child (widget_class, KvbSidebar, accounts_button);
  gtk_widget_class_bind_template_child (widget_class, KvbSidebar, accounts_list);
  gtk_widget_class_bind_template_child (widget_class, KvbSidebar, sidebar_stack);
  gtk_widget_class_bind_template_child (widget_class, KvbSidebar, sidebar_list);
  gtk_widget_class_bind_template_child (widget_class, KvbSidebar, selection_revealer);
  gtk_widget_class_bind_template_child (widget_class, KvbSidebar, selection_label);
  gtk_widget_class_bind_template_child (widget_class, KvbSidebar, selection_button);

  gtk_widget_class_install_action (widget_class, "sidebar.add-account", NULL, add_account_cb);
}

static void
kvb_sidebar_init (KvbSidebar *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  self->sessions = g_list_store_new (KVB_TYPE_ACCOUNT_SESSION);
  self->cancellable = g_cancellable_new ();
  self->history = kvb_history_new_default ();
  g_signal_connect_object (self->sidebar_list, "row-selected", G_CALLBACK (row_selected_cb), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->sidebar_list, "selected-rows-changed",
                           G_CALLBACK (selected_rows_changed_cb), self, G_CONNECT_SWAPPED);
  /* The account menu follows the set of accounts, not their listings. */
  gtk_list_box_bind_model (self->accounts_list, G_LIST_MODEL (self->sessions), create_account_row, self, NULL);
  g_signal_connect_object (self->sessions, "items-changed", G_CALLBACK (update_accounts_button), self,
                           G_CONNECT_SWAPPED);
  update_accounts_button (self);
  kvb_sidebar_refresh_history (self);
}
