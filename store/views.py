from django.http import HttpResponse


def home(request):
    return HttpResponse("home")


def category_page(request, slug_path):
    return HttpResponse("category")


def product_page(request, slug):
    return HttpResponse("product")


def signup(request):
    return HttpResponse("signup")
