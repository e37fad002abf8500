"""Admin building blocks shared by the apps."""


class ReadOnlyAdminMixin:
    """For records people may read but never edit: audit events, discovery events, facts."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
