from stakeholders.roles import viewer_for


def navigation(request):
    """Expose the viewer's roles so the layout can show the right navigation."""
    if not getattr(request, "user", None) or not request.user.is_authenticated:
        return {}
    return {"viewer": viewer_for(request)}
