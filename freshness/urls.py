from django.urls import path

from freshness import views

urlpatterns = [
    path("github/<uuid:connection_id>/", views.github, name="github-webhook"),
]
