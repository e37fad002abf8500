"""DRF permission enforcing accounts.policy.API for every operation (the default permission class)."""
from rest_framework.permissions import SAFE_METHODS, BasePermission

from accounts import policy
from accounts.roles import at_least, role_of


class RolePermission(BasePermission):
    message = "You do not have permission to do this."

    def has_permission(self, request, view):
        match = getattr(request, "resolver_match", None)
        required = policy.api_requirement(match.url_name if match else None, request.method)
        if required == policy.PUBLIC:
            return True
        if required is None or not (request.user and request.user.is_authenticated):
            return False
        token = request.auth
        if getattr(token, "read_only", False) and request.method not in SAFE_METHODS:
            self.message = "This token is read-only."
            return False
        role = role_of(request.user)
        if not at_least(role, required):
            self.message = f"Your role ({role}) cannot do this; it needs {required}."
            return False
        return True
