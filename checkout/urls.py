from django.urls import path

from . import views

urlpatterns = [
    path("cart/", views.cart_page, name="cart"),
    path("cart/add/", views.cart_add, name="cart_add"),
    path("cart/items/<int:item_id>/", views.cart_update, name="cart_update"),
    path("cart/items/<int:item_id>/remove/", views.cart_remove, name="cart_remove"),
    path("checkout/", views.checkout, name="checkout"),
    path("checkout/stripe/webhook/", views.stripe_webhook, name="stripe_webhook"),
    path("orders/", views.order_list, name="order_list"),
    path("orders/lookup/", views.order_lookup, name="order_lookup"),
    path("orders/access/<str:token>/", views.order_access, name="order_access"),
    path("orders/<int:pk>/", views.order_detail, name="order_detail"),
    path("orders/<int:pk>/pay/", views.order_pay, name="order_pay"),
    path("orders/<int:pk>/pay/dummy/", views.order_pay_dummy, name="order_pay_dummy"),
    path("orders/<int:pk>/payment-return/", views.order_payment_return, name="order_payment_return"),
    path("orders/<int:pk>/cancel/", views.order_cancel, name="order_cancel"),
]
