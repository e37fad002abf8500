"""Permissions from roles for the Django admin: ModelAdmins ask ``user.has_perm`` and get the policy's answer."""
from accounts import policy
from accounts.roles import at_least, role_of


class RoleBackend:
    """No authentication of its own; answers permission questions from accounts.policy.ADMIN_SITE."""

    def authenticate(self, request, **credentials):
        return None

    def has_perm(self, user_obj, perm, obj=None):
        required = policy.ADMIN_SITE.get(perm)
        return required is not None and at_least(role_of(user_obj), required)

    def has_module_perms(self, user_obj, app_label):
        role = role_of(user_obj)
        return any(perm.startswith(app_label + ".") and at_least(role, required)
                   for perm, required in policy.ADMIN_SITE.items())

    def get_all_permissions(self, user_obj, obj=None):
        role = role_of(user_obj)
        return {perm for perm, required in policy.ADMIN_SITE.items() if at_least(role, required)}
