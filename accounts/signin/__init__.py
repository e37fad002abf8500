"""Sign-in with GitHub (OAuth web flow) and OpenID Connect providers, through django-allauth.

- ``config``: the providers from the environment (read by the sign-in block of portal/settings.py).
- ``github``: what the user's OAuth token says about their organizations and teams.
- ``adapter``: who may sign in to which tenant, what a new user becomes (a viewer), the profile's GitHub
  login and teams, the audit trail.
"""
