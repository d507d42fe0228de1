"""Accounts: django-allauth's pages (signup, login, e-mail verification, password reset, and
social logins when configured), under the short names the storefront's templates use."""

from allauth.account import views as account_views
from django.urls import include, path

urlpatterns = [
    path("login/", account_views.login, name="login"),
    path("logout/", account_views.logout, name="logout"),
    path("signup/", account_views.signup, name="signup"),
    path("", include("allauth.urls")),
]
