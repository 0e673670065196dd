"""The API's routes: method, path template and the spec's ``operationId`` for each."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import unquote

__all__ = ["OPERATION_IDS", "ROUTES", "Route", "RouteMatch", "match_route"]

_PVC = "/v1/voices/pvc/{voice_id}"
_SAMPLE = _PVC + "/samples/{sample_id}"


@dataclass(frozen=True)
class Route:
    """One endpoint of the spec."""

    method: str
    template: str
    operation_id: str

    @property
    def pattern(self) -> re.Pattern[str]:
        """The template as a regex with one named group per path parameter."""
        regex = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", self.template)
        return re.compile(f"^{regex}$")


ROUTES: tuple[Route, ...] = (
    Route("POST", "/v1/voices/pvc", "create_pvc_voice"),
    Route("POST", _PVC, "edit_pvc_voice"),
    Route("POST", _PVC + "/train", "run_pvc_voice_training"),
    Route("POST", _PVC + "/samples", "add_pvc_voice_samples"),
    Route("POST", _SAMPLE, "edit_pvc_voice_sample"),
    Route("DELETE", _SAMPLE, "delete_pvc_voice_sample"),
    Route("GET", _SAMPLE + "/audio", "get_pvc_sample_audio"),
    Route("GET", _SAMPLE + "/waveform", "get_pvc_sample_visual_waveform"),
    Route("GET", _SAMPLE + "/speakers", "get_pvc_sample_speakers"),
    Route("POST", _SAMPLE + "/separate-speakers", "start_speaker_separation"),
    Route("GET", _SAMPLE + "/speakers/{speaker_id}/audio", "get_speaker_audio"),
    Route("GET", "/v1/voices/{voice_id}", "get_voice_by_id"),
    Route("GET", "/v1/voices", "get_voices"),
    Route("GET", "/v2/voices", "get_user_voices_v2"),
)

OPERATION_IDS: frozenset[str] = frozenset(r.operation_id for r in ROUTES)
_COMPILED = tuple((route, route.pattern) for route in ROUTES)


@dataclass(frozen=True)
class RouteMatch:
    """The outcome of matching a request line against :data:`ROUTES`.

    ``route`` is None when nothing matched; ``path_known`` then tells a wrong method
    (405) from an unknown path (404).
    """

    route: Route | None
    params: dict[str, str]
    path_known: bool


def match_route(method: str, path: str) -> RouteMatch:
    """Find the route for ``method`` and a URL path (without the query string)."""
    path_known = False
    for route, pattern in _COMPILED:
        found = pattern.match(path)
        if found is None:
            continue
        path_known = True
        if route.method == method:
            params = {k: unquote(v) for k, v in found.groupdict().items()}
            return RouteMatch(route, params, True)
    return RouteMatch(None, {}, path_known)
