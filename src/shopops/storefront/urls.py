from django.urls import path

from shopops.storefront import account_views, auth_views, views

app_name = "storefront"

urlpatterns = [
    path("", views.home, name="home"),
    # Sign-in and sign-up
    path("accounts/login/", auth_views.login_view, name="login"),
    path("accounts/logout/", auth_views.logout_view, name="logout"),
    path("accounts/register/", auth_views.register_view, name="register"),
    path("accounts/register/check-email/", auth_views.register_email_sent, name="register_email_sent"),
    path("accounts/verify-email/<str:token>/", auth_views.verify_email_view, name="verify_email"),
    path("accounts/sms-code/", auth_views.send_sms_code, name="send_sms_code"),
    path("accounts/password-reset/", auth_views.password_reset_view, name="password_reset"),
    path("accounts/password-reset/sent/", auth_views.password_reset_sent, name="password_reset_sent"),
    path("accounts/reset/<str:token>/", auth_views.password_reset_confirm, name="password_reset_confirm"),
    # Account centre
    path("account/", account_views.account_home, name="account"),
    path("account/profile/", account_views.profile_view, name="profile"),
    path("account/profile/verify-email/", account_views.resend_verification, name="resend_verification"),
    path("account/security/", account_views.security_view, name="security"),
    path("account/security/logout-everywhere/", account_views.logout_everywhere, name="logout_everywhere"),
    path("account/real-name/", account_views.real_name_view, name="real_name"),
    path("account/addresses/", account_views.address_list, name="addresses"),
    path("account/addresses/new/", account_views.address_create, name="address_create"),
    path("account/addresses/<int:address_id>/edit/", account_views.address_edit, name="address_edit"),
    path("account/addresses/<int:address_id>/delete/", account_views.address_delete, name="address_delete"),
    path(
        "account/addresses/<int:address_id>/default/",
        account_views.address_set_default,
        name="address_set_default",
    ),
]
