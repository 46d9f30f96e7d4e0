"""Helper performance in the API: `GET /api/v1/performance`."""
from typing import Any


def helper_month_json(hm) -> dict[str, Any]:
    """One helper's month (services.performance.HelperMonth)."""
    return {"username": hm.username, "display_name": hm.display_name, "score": hm.score,
            "rating": hm.rating, "households": hm.households, "households_visited": hm.households_visited,
            "visits": hm.visits, "flagged_visits": hm.flagged_visits,
            "households_visited_pending": hm.households_visited_pending, "pending_visits": hm.pending_visits,
            "flags": [f.to_dict() for f in hm.flags], "closed": hm.closed}


def month_json(month: str, results: list) -> dict[str, Any]:
    """The month of every helper the caller may see, ranked; closed when every result is."""
    return {"month": month, "closed": bool(results) and all(r.closed for r in results),
            "helpers": [dict(helper_month_json(r), rank=r.rank) for r in results]}
