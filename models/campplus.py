"""CAM++ speaker embeddings (3D-Speaker, Apache-2.0) as a pyannote.audio embedding model.

The network follows 3D-Speaker's ``speakerlab/models/campplus/DTDNN.py`` layer for layer, so that the
``campplus_cn_en_common.pt`` state dict (80 Kaldi fbank bins in, 192 floats out) loads strictly.

``CamPlusPlusEmbedding`` is a ``pyannote.audio.Model``: pyannote's ``SpeakerDiarization`` accepts it
as its ``embedding`` and calls ``forward(waveforms, weights=masks)`` with one 10 s chunk per row and
the frame mask of one local speaker. Instead of weighting statistics pooling (pyannote's WeSpeaker
way), the fbank frames outside the mask are dropped before the network, so that CAM++'s context
layers never see the other speaker.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from pathlib import Path

import torch
import torch.nn.functional as F
import torchaudio.compliance.kaldi as kaldi
from pyannote.audio import Model
from torch import nn

SAMPLE_RATE = 16_000
NUM_MEL_BINS = 80
EMBEDDING_DIM = 192
MIN_FRAMES = 50  # shortest fbank excerpt embedded (0.5 s); shorter speech is widened to this
MIN_SAMPLES = 400 + 160 * (MIN_FRAMES - 1)  # 25 ms window, 10 ms hop


def _bn_relu(channels: int) -> nn.Sequential:
    return nn.Sequential(OrderedDict(batchnorm=nn.BatchNorm1d(channels), relu=nn.ReLU(inplace=True)))


class _ResBlock(nn.Module):
    """2-D residual block striding along frequency only."""

    def __init__(self, channels: int, stride: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(channels, channels, 3, stride=(stride, 1), padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(channels)
        self.conv2 = nn.Conv2d(channels, channels, 3, stride=1, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(channels)
        self.shortcut = nn.Sequential()
        if stride != 1:
            self.shortcut = nn.Sequential(
                nn.Conv2d(channels, channels, 1, stride=(stride, 1), bias=False), nn.BatchNorm2d(channels)
            )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = F.relu(self.bn1(self.conv1(x)))
        return F.relu(self.bn2(self.conv2(out)) + self.shortcut(x))


class _FrontConvModule(nn.Module):
    """FCM head: (batch, mels, frames) -> (batch, 32 * mels / 8, frames)."""

    def __init__(self, channels: int = 32, feat_dim: int = NUM_MEL_BINS) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(1, channels, 3, stride=1, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(channels)
        self.layer1 = nn.Sequential(_ResBlock(channels, 2), _ResBlock(channels, 1))
        self.layer2 = nn.Sequential(_ResBlock(channels, 2), _ResBlock(channels, 1))
        self.conv2 = nn.Conv2d(channels, channels, 3, stride=(2, 1), padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(channels)
        self.out_channels = channels * (feat_dim // 8)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = F.relu(self.bn1(self.conv1(x.unsqueeze(1))))
        out = F.relu(self.bn2(self.conv2(self.layer2(self.layer1(out)))))
        return out.flatten(1, 2)


class _TDNN(nn.Module):
    def __init__(self, in_ch: int, out_ch: int, kernel: int, stride: int) -> None:
        super().__init__()
        self.linear = nn.Conv1d(in_ch, out_ch, kernel, stride=stride, padding=kernel // 2, bias=False)
        self.nonlinear = _bn_relu(out_ch)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.nonlinear(self.linear(x))


class _CAMLayer(nn.Module):
    """Context-aware masking: a local conv gated by utterance- and 100-frame-segment context."""

    def __init__(self, bn_ch: int, out_ch: int, kernel: int, dilation: int, segment: int = 100) -> None:
        super().__init__()
        padding = (kernel - 1) // 2 * dilation
        self.linear_local = nn.Conv1d(bn_ch, out_ch, kernel, padding=padding, dilation=dilation, bias=False)
        self.linear1 = nn.Conv1d(bn_ch, bn_ch // 2, 1)
        self.relu = nn.ReLU(inplace=True)
        self.linear2 = nn.Conv1d(bn_ch // 2, out_ch, 1)
        self.segment = segment

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        frames = x.shape[-1]
        seg = F.avg_pool1d(x, kernel_size=self.segment, stride=self.segment, ceil_mode=True)
        seg = seg.repeat_interleave(self.segment, dim=-1)[..., :frames]
        context = self.relu(self.linear1(x.mean(-1, keepdim=True) + seg))
        return self.linear_local(x) * torch.sigmoid(self.linear2(context))


class _DenseLayer(nn.Module):
    def __init__(self, in_ch: int, growth: int, bn_ch: int, dilation: int) -> None:
        super().__init__()
        self.nonlinear1 = _bn_relu(in_ch)
        self.linear1 = nn.Conv1d(in_ch, bn_ch, 1, bias=False)
        self.nonlinear2 = _bn_relu(bn_ch)
        self.cam_layer = _CAMLayer(bn_ch, growth, kernel=3, dilation=dilation)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.cam_layer(self.nonlinear2(self.linear1(self.nonlinear1(x))))


class _DenseBlock(nn.ModuleDict):
    def __init__(self, num_layers: int, in_ch: int, growth: int, bn_ch: int, dilation: int) -> None:
        super().__init__(
            {f"tdnnd{i + 1}": _DenseLayer(in_ch + i * growth, growth, bn_ch, dilation) for i in range(num_layers)}
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for layer in self.values():
            x = torch.cat([x, layer(x)], dim=1)
        return x


class _Transit(nn.Module):
    def __init__(self, in_ch: int, out_ch: int) -> None:
        super().__init__()
        self.nonlinear = _bn_relu(in_ch)
        self.linear = nn.Conv1d(in_ch, out_ch, 1, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.linear(self.nonlinear(x))


class _StatsPool(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([x.mean(dim=-1), x.std(dim=-1, correction=1)], dim=-1)


class _Embedding(nn.Module):
    def __init__(self, in_ch: int, out_ch: int) -> None:
        super().__init__()
        self.linear = nn.Conv1d(in_ch, out_ch, 1, bias=False)
        self.nonlinear = nn.Sequential(OrderedDict(batchnorm=nn.BatchNorm1d(out_ch, affine=False)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.nonlinear(self.linear(x.unsqueeze(-1)).squeeze(-1))


class CAMPPlus(nn.Module):
    """CAM++ (D-TDNN with context-aware masking): (batch, frames, 80) fbank -> (batch, 192)."""

    def __init__(self, feat_dim: int = NUM_MEL_BINS, embedding_size: int = EMBEDDING_DIM) -> None:
        super().__init__()
        self.head = _FrontConvModule(feat_dim=feat_dim)
        growth, bn_ch, channels = 32, 128, 128
        layers: OrderedDict[str, nn.Module] = OrderedDict(tdnn=_TDNN(self.head.out_channels, channels, 5, 2))
        for i, (num_layers, dilation) in enumerate(((12, 1), (24, 2), (16, 2)), start=1):
            layers[f"block{i}"] = _DenseBlock(num_layers, channels, growth, bn_ch, dilation)
            channels += num_layers * growth
            layers[f"transit{i}"] = _Transit(channels, channels // 2)
            channels //= 2
        layers["out_nonlinear"] = _bn_relu(channels)
        layers["stats"] = _StatsPool()
        layers["dense"] = _Embedding(channels * 2, embedding_size)
        self.xvector = nn.Sequential(layers)

    def forward(self, fbank: torch.Tensor) -> torch.Tensor:
        return self.xvector(self.head(fbank.transpose(1, 2)))


def load_campplus(path: Path) -> CAMPPlus:
    """Build CAM++ and load a 3D-Speaker checkpoint strictly, in eval mode on CPU."""
    network = CAMPPlus()
    state = torch.load(path, map_location="cpu", weights_only=True)
    network.load_state_dict(state, strict=True)
    return network.eval()


def pcm16_as_float(samples: torch.Tensor) -> torch.Tensor:
    """16-bit PCM (models.diarization keeps the call as int16) as float32 in [-1, 1]; other tensors as they are.
    The one conversion both diarisation models use, so int16 input gives the same values as float32 input."""
    return samples.float() / 32768 if samples.dtype == torch.int16 else samples


def _keep_frames(mask: torch.Tensor, num_frames: int) -> torch.Tensor:
    """Fbank frame indices where ``mask`` (segmentation frames) is on, widened to MIN_FRAMES if short."""
    frame_mask = F.interpolate(mask[None, None].float(), size=num_frames, mode="nearest")[0, 0] > 0.5
    keep = torch.nonzero(frame_mask).squeeze(1)
    if keep.numel() == 0 or keep.numel() >= MIN_FRAMES:
        return keep
    centre = int(keep.float().mean().round())
    start = max(0, min(num_frames - MIN_FRAMES, centre - MIN_FRAMES // 2))
    return torch.arange(start, min(num_frames, start + MIN_FRAMES))


class CamPlusPlusEmbedding(Model):
    """pyannote.audio embedding model: Kaldi fbank (80 bins, mean-normalised) -> CAM++ -> 192 floats."""

    def __init__(self, network: CAMPPlus) -> None:
        super().__init__(sample_rate=SAMPLE_RATE, num_channels=1)
        self.campplus = network

    @classmethod
    def from_checkpoint(cls, path: Path) -> CamPlusPlusEmbedding:
        return cls(load_campplus(path)).eval()

    @property
    def dimension(self) -> int:
        return EMBEDDING_DIM

    def fbank(self, waveform: torch.Tensor) -> torch.Tensor:
        return kaldi.fbank(
            pcm16_as_float(waveform).unsqueeze(0), num_mel_bins=NUM_MEL_BINS, sample_frequency=SAMPLE_RATE, dither=0.0
        )

    def embed(self, fbank: torch.Tensor) -> torch.Tensor:
        """One (frames, 80) fbank excerpt -> (192,) embedding, or a batch (n, frames, 80) of excerpts of one length
        -> (n, 192); each mean-normalised over its own frames."""
        batch = fbank if fbank.dim() == 3 else fbank.unsqueeze(0)
        out = self.campplus(batch - batch.mean(dim=1, keepdim=True))
        return out if fbank.dim() == 3 else out[0]

    def forward(  # type: ignore[override]  # pyannote calls it with the weights as a keyword
        self, waveforms: torch.Tensor, weights: torch.Tensor | None = None
    ) -> torch.Tensor:
        """(batch, 1, samples) [+ (batch, frames) masks] -> (batch, 192); NaN rows for empty masks.

        Without masks, waveforms shorter than MIN_SAMPLES raise ``ValueError`` (pyannote probes this
        to learn ``min_num_samples``).
        """
        if weights is None and waveforms.shape[-1] < MIN_SAMPLES:
            raise ValueError(f"CAM++ needs at least {MIN_SAMPLES} samples")
        out = torch.full((waveforms.shape[0], EMBEDDING_DIM), math.nan, device=waveforms.device)
        previous: torch.Tensor | None = None
        full = torch.empty(0)
        for row, waveform in enumerate(waveforms[:, 0]):
            if previous is None or not torch.equal(waveform, previous):  # one chunk, several speakers
                previous, full = waveform, self.fbank(waveform)
            fbank = full
            if weights is not None:
                fbank = full[_keep_frames(weights[row], full.shape[0]).to(full.device)]
            if fbank.shape[0] >= 2:
                out[row] = self.embed(fbank)
        return out
