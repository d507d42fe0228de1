from django.urls import path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("c/<path:slug_path>/", views.category_page, name="category"),
    path("p/<slug:slug>/", views.product_page, name="product"),
]
