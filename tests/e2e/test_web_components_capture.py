"""Images captured by Smile ID's web components, submitted by a partner's server with the Python SDK.

Partners who embed ``<smart-camera-web>`` (npm ``@smileid/web-components``, MIT, in the
``smileidentity/web-client`` repository under ``packages/web-components``; read at version 11.6.2)
receive the captured images in the page and post them to their own server, which hands them to a
server SDK's ``submit_job`` unchanged. What the components hand the page, from their source:

* Event ``smart-camera-web.publish`` with ``detail = {"images": [...], "meta": {"libraryVersion":
  "11.6.2"}}`` (``lib/components/smart-camera-web/src/SmartCameraWeb.js``, ``_publishSelectedImages``);
  with ``capture-id`` the document images are appended after the selfie ones.
* Each entry is ``{"image": <base64>, "image_type_id": <int>}`` where ``image`` is the *bare* base64
  of a JPEG: every capture is ``canvas.toDataURL('image/jpeg', JPEG_QUALITY).split(',')[1]``, the
  ``data:image/jpeg;base64,`` prefix cut off by the component itself, so a partner has nothing to
  strip (``JPEG_QUALITY = 0.92`` and ``IMAGE_TYPE`` 2/3/6/7 in
  ``lib/domain/constants/src/Constants.js``; the same ``split(',')[1]`` in the first release of
  ``packages/smart-camera-web/smart-camera-web.js``).
* Selfie and liveness, default capture (MediaPipe, ``lib/components/selfie/src/smartselfie-capture``:
  ``SmartSelfieCapture.tsx`` ``duration = 2800``, ``interval = 350``; ``hooks/useFaceCapture.ts``
  ``stopCapture``): ceil(2800 / 350) = 8 captures of which the last is the reference, published as
  ``[7 x liveness (6), selfie (2)]``, the selfie *last*. ``utils/imageCapture.ts``: liveness frames
  240x320 (portrait camera) or 320x240, the selfie 480x640 or 640x480.
* Legacy fallback (``lib/components/selfie/src/selfie-capture/SelfieCapture.js``,
  ``DEFAULT_NO_OF_LIVENESS_FRAMES = 8``, ``_captureReferencePhoto`` / ``_stopVideoStream``): the
  reference photo, taken after the last frame, comes *first*, then 8 liveness frames:
  ``[selfie (2), 8 x liveness (6)]``, same sizes. Enhanced SmartSelfie (``use-strict-mode``,
  ``enhanced-smartselfie-capture/hooks/useFaceCapture.ts``) sends ``[8 x liveness, selfie]``.
* Document (``lib/components/document/src/DocumentCaptureScreens.js``): front ``3``, back ``7``.
  Camera captures (``document-capture/DocumentCapture.js`` ``_drawIDImage``) are drawn on a canvas
  2240 px wide, height from the camera's aspect (2240x1260 for 16:9), JPEG 0.92. "Upload photo"
  from the gallery (``document-capture-instructions``, ``lib/domain/file-upload/src/SmartFileUpload.js``)
  sends the file's own bytes, JPEG *or PNG*, up to 10,240,000 bytes, not re-encoded.

The component README's sample server (Node) passes ``req.body.images`` straight to
``WebApi.submit_job(partner_params, images, {}, {return_job_status: true})`` with job_type 4; the
Python SDK's ``submit_job`` is its equivalent, and is what the partner's server does here.

Material: one person's track in the shared genuine-motion video (the frames the liveness engine
tests use), cropped as a phone's front camera frames a face and scaled to the components' sizes; an
ID card rendered by ``testkit.documents`` around that person's portrait (another moment than the
selfie), photographed on a desk at the component's 2240x1260, with the MRZ printed on the back,
which comes as a gallery PNG. One ``openkyc serve`` for the module.
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import cv2
import httpx
import numpy as np
import pytest
from numpy.typing import NDArray
from smile_id_core.Signature import Signature
from smile_id_core.WebApi import WebApi

from testkit import attacks
from testkit.documents import DocumentSpec, place_on_background, render_document
from tests.e2e.conftest import CallbackReceiver
from tests.live_server import LiveServer, running_server

pytestmark = [
    pytest.mark.slow,
    # smile-id-core writes a zip entry "base64imgString" for every base64 image, so Python's
    # zipfile warns from the second on (a partner's server sees the same warning). openkyc reads
    # base64 images from info.json and ignores those entries.
    pytest.mark.filterwarnings("ignore:Duplicate name.*base64imgString:UserWarning"),
]

VIDEO_NAME = "timesler+facenet-pytorch_examples_video.mp4"
# The frames tests/engine/liveness/conftest.py uses: one person's track, every other frame from 40.
TRACK_FRAMES = tuple(range(40, 58, 2))

COMPONENTS_VERSION = "11.6.2"
JPEG_QUALITY = 92  # the components' JPEG_QUALITY = 0.92
SELFIE_SIZE = (480, 640)  # (width, height) of the reference photo from a portrait camera
LIVENESS_SIZE = (240, 320)  # each liveness frame from a portrait camera
ID_CAPTURE_SIZE = (2240, 1260)  # the document canvas for a 16:9 camera

# What the sample server asks for: the job's status, waited for by the SDK.
OPTIONS = {"return_job_status": True, "return_history": False, "return_images": True}

CARD = DocumentSpec(
    kind="identity_card",
    mrz_type="TD1",
    title="NATIONAL IDENTITY CARD",
    issuing_country="NGA",
    nationality="NGA",
    document_number="A12345678",
    surname="OKAFOR",
    given_names="ADA",
    seed=7,
)


@dataclass(frozen=True)
class Track:
    """One person in front of a phone camera: 9 moments of the track, 480x640 each."""

    moments: list[NDArray[Any]]


@pytest.fixture(scope="module")
def track(testdata_dir: Path) -> Track:
    wanted = set(TRACK_FRAMES)
    capture = cv2.VideoCapture(str(testdata_dir / "liveness" / VIDEO_NAME))
    frames: list[NDArray[Any]] = []
    try:
        index = 0
        while index <= TRACK_FRAMES[-1]:
            ok, frame = capture.read()
            if not ok:
                break
            if index in wanted:
                frames.append(frame)
            index += 1
    finally:
        capture.release()
    assert len(frames) == len(TRACK_FRAMES), "the shared video is shorter than expected"
    tracks = attacks.face_tracks(frames, min_length=len(frames), max_gap=1)
    assert tracks, "no face tracked through the chosen frames"
    nearest = max(tracks, key=lambda t: t.boxes[0][2] - t.boxes[0][0])
    # A phone's front camera frames the face: 3:4 crops around it at the selfie's 480x640.
    (sample,) = attacks.track_sequences(frames, nearest, n_frames=len(frames) - 1, stride=1)
    return Track([sample.selfie, *sample.frames])


# --- what the components do to a camera frame ----------------------------------------------------


def to_data_url(bgr: NDArray[Any], size: tuple[int, int]) -> str:
    """``canvas.toDataURL('image/jpeg', 0.92)`` of the frame drawn at ``size``."""
    drawn = bgr if bgr.shape[1::-1] == size else cv2.resize(bgr, size, interpolation=cv2.INTER_AREA)
    ok, encoded = cv2.imencode(".jpg", drawn, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
    assert ok
    return "data:image/jpeg;base64," + base64.b64encode(encoded.tobytes()).decode("ascii")


def component_image(data_url: str, image_type_id: int) -> dict[str, Any]:
    return {"image": data_url.split(",")[1], "image_type_id": image_type_id}


def smartselfie_capture(track: Track) -> list[dict[str, Any]]:
    """The default capture: 7 liveness frames, then the reference photo taken at the 8th tick."""
    frames = [component_image(to_data_url(m, LIVENESS_SIZE), 6) for m in track.moments[1:8]]
    return [*frames, component_image(to_data_url(track.moments[8], SELFIE_SIZE), 2)]


def legacy_selfie_capture(track: Track) -> list[dict[str, Any]]:
    """The legacy capture: the reference photo (taken after the last frame) first, then 8 frames."""
    selfie = component_image(to_data_url(track.moments[8], SELFIE_SIZE), 2)
    return [selfie, *(component_image(to_data_url(m, LIVENESS_SIZE), 6) for m in track.moments[1:9])]


def camera_photo_of(document: NDArray[Any], seed: int) -> NDArray[Any]:
    """The document on a desk as the camera sees it: a 16:9 frame drawn on the 2240x1260 canvas."""
    photo = place_on_background(document, angle_deg=2.0, margin=0.15, seed=seed)
    height, width = photo.shape[:2]
    target = ID_CAPTURE_SIZE[0] / ID_CAPTURE_SIZE[1]
    if width / height > target:
        keep = round(height * target)
        photo = photo[:, (width - keep) // 2 : (width - keep) // 2 + keep]
    else:
        keep = round(width / target)
        photo = photo[(height - keep) // 2 : (height - keep) // 2 + keep]
    return cv2.resize(photo, ID_CAPTURE_SIZE, interpolation=cv2.INTER_LINEAR)


@dataclass(frozen=True)
class Card:
    front_jpeg: bytes  # the camera capture, as the component encoded it
    back_png: bytes  # a gallery upload: the file's own bytes


@pytest.fixture(scope="module")
def card(track: Track) -> Card:
    # The card's portrait is another picture of the same person: a moment a quarter second before
    # the selfie, far enough not to be the same photograph (face print difference 0.37, the
    # engine's "same photograph" bound is 0.25) and close enough in pose for the video's small
    # faces to match with a margin (similarity 0.85 at a 0.77 threshold; the track's first moment
    # gives 0.78).
    front = render_document(replace(CARD, mrz_type=None), portrait_bgr=track.moments[4])
    back = render_document(CARD)  # ID cards print their MRZ on the back
    front_url = to_data_url(camera_photo_of(front, seed=3), ID_CAPTURE_SIZE)
    ok, back_png = cv2.imencode(".png", camera_photo_of(back, seed=4))
    assert ok
    return Card(base64.b64decode(front_url.split(",")[1]), back_png.tobytes())


def document_capture(card: Card) -> list[dict[str, Any]]:
    """Front from the camera; back uploaded from the gallery (``FileReader.readAsDataURL``)."""
    back_url = "data:image/png;base64," + base64.b64encode(card.back_png).decode("ascii")
    front_url = "data:image/jpeg;base64," + base64.b64encode(card.front_jpeg).decode("ascii")
    return [component_image(front_url, 3), component_image(back_url, 7)]


def published(images: list[dict[str, Any]]) -> dict[str, Any]:
    """``smart-camera-web.publish``'s detail, as the page POSTs it to the partner's server (JSON)."""
    detail = {"images": images, "meta": {"libraryVersion": COMPONENTS_VERSION}}
    parsed: dict[str, Any] = json.loads(json.dumps(detail))
    return parsed


# --- the partner's server --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    data_dir = tmp_path_factory.mktemp("openkyc-webcomponents") / "data"
    # The callback receiver listens on loopback.
    with running_server(data_dir, {"OPENKYC_ALLOW_PRIVATE_CALLBACKS": "true"}) as server:
        yield server


def partner_server_submits(
    live: LiveServer,
    callbacks: CallbackReceiver,
    body: dict[str, Any],
    *,
    job_type: int,
    id_info: dict[str, Any],
) -> dict[str, Any]:
    """What the components' sample server does with the posted detail, in Python."""
    connection = WebApi(live.partner_id, callbacks.url, live.sandbox_key, f"{live.base_url}/v1")
    partner_params = {
        "user_id": f"user-{uuid.uuid4()}",
        "job_id": f"job-{uuid.uuid4()}",
        "job_type": job_type,
        "libraryVersion": body["meta"]["libraryVersion"],
    }
    answer: dict[str, Any] = connection.submit_job(partner_params, body["images"], id_info, OPTIONS)
    return answer


def assert_signed_callback(live: LiveServer, callbacks: CallbackReceiver, result: dict[str, Any]) -> None:
    body = callbacks.wait_for(result["SmileJobID"])
    assert Signature(live.partner_id, live.sandbox_key).confirm_signature(
        body["timestamp"], body["signature"]
    )
    assert body["ResultCode"] == result["ResultCode"]


def size_of(entry: dict[str, Any]) -> tuple[int, int]:
    data = np.frombuffer(base64.b64decode(entry["image"]), np.uint8)
    height, width = cv2.imdecode(data, cv2.IMREAD_COLOR).shape[:2]
    return width, height


def stored_image(links: dict[str, str], name: str) -> bytes:
    response = httpx.get(links[name], timeout=10)
    assert response.status_code == 200, (name, response.status_code)
    return response.content


def test_default_capture_registers_the_user(
    live: LiveServer, callbacks: CallbackReceiver, track: Track
) -> None:
    images = smartselfie_capture(track)
    assert [i["image_type_id"] for i in images] == [6] * 7 + [2]
    assert not any(i["image"].startswith("data:") for i in images)
    assert size_of(images[0]) == LIVENESS_SIZE and size_of(images[-1]) == SELFIE_SIZE

    answer = partner_server_submits(live, callbacks, published(images), job_type=4, id_info={})

    assert answer["job_complete"] is True, answer
    result = answer["result"]
    assert (result["ResultCode"], result["ResultText"]) == ("0840", "Enroll User"), result
    assert answer["job_success"] is True
    actions = result["Actions"]
    # The 7 frames were checked for liveness (Liveness_Check only appears when frames came).
    assert actions["Liveness_Check"] == "Passed", result
    assert actions["Selfie_Check"] == "Passed"
    assert actions["Register_Selfie"] == "Approved"
    assert actions["Selfie_Provided"] == "Passed"
    assert result["PartnerParams"]["libraryVersion"] == COMPONENTS_VERSION
    # The selfie, sent last, is the one enrolled: byte for byte what the component encoded.
    assert stored_image(answer["image_links"], "selfie_image") == base64.b64decode(images[-1]["image"])
    assert_signed_callback(live, callbacks, result)


def test_legacy_capture_with_id_card_verifies_the_document(
    live: LiveServer, callbacks: CallbackReceiver, track: Track, card: Card
) -> None:
    images = [*legacy_selfie_capture(track), *document_capture(card)]
    assert [i["image_type_id"] for i in images] == [2] + [6] * 8 + [3, 7]
    assert len(card.front_jpeg) > 300_000, "the 2240x1260 capture should weigh what a real one does"

    answer = partner_server_submits(
        live,
        callbacks,
        published(images),
        job_type=6,
        id_info={"country": "NG", "id_type": "NATIONAL_ID"},
    )

    assert answer["job_complete"] is True, answer
    result = answer["result"]
    assert (result["ResultCode"], result["ResultType"]) == ("0810", "Document Verification"), result
    assert answer["job_success"] is True
    actions = result["Actions"]
    assert actions["Liveness_Check"] == "Passed", result
    assert actions["Selfie_To_ID_Card_Compare"] == "Completed"
    assert actions["Verify_Document"] == "Passed"
    assert actions["Document_Check"] == "Passed"
    # The front carries no MRZ: these fields were read from the back, the gallery PNG.
    assert (result["IDNumber"], result["FullName"], result["DOB"]) == (
        "A12345678",
        "ADA OKAFOR",
        "1974-08-12",
    )
    links = answer["image_links"]
    assert stored_image(links, "selfie_image") == base64.b64decode(images[0]["image"])
    assert stored_image(links, "id_card_image") == card.front_jpeg
    assert stored_image(links, "id_card_back") == card.back_png
    assert_signed_callback(live, callbacks, result)
