"""The conv tagger of ``train/tagger.py --model conv``: fit with torch, export for numpy.

Not imported by the product. Per word: the standardised features of
``features.word_features`` (``--features``); the encoder states (the first 2 x 384
columns) are projected to ``proj`` dimensions (so that a window over them cannot overfit
as the +-2 window of raw states did), joined to the cheap cues, and one 1-D convolution
over ``kernel`` words (``hidden`` ReLU channels) reads each word with its neighbours;
then a linear output and a sigmoid. Dropout on the states and the hidden channels,
AdamW, a fixed seed; the loss counts words with a letter or digit only (the rows the
MLP is trained and scored on). Early stopping is on a held-out *talk*: within each fold
one of the training talks is held out to choose the number of epochs, then the model is
refitted on all its training talks for that many epochs.

The export (:func:`save`) is what ``mtcheck.detect.tagger.ConvTaggerModel`` reads:
standardisation, projection, the convolution as one matrix over the window's offsets
side by side (``features._window``'s layout), the output layer.
"""

from __future__ import annotations

import numpy as np

STATES = 2 * 384  # columns of the encoder states at the start of every feature row
PROJ = 16
HIDDEN = 32
KERNEL = 5
DROPOUT = 0.2
WEIGHT_DECAY = 1e-2
LR = 1e-3
BATCH = 32
MAX_EPOCHS = 30
PATIENCE = 4


def sentences(where) -> list[tuple[int, int]]:
    """(first row, end row) of each item's words (rows of one item are consecutive)."""
    out, start = [], 0
    for k in range(1, len(where) + 1):
        if k == len(where) or where[k][0] != where[start][0]:
            out.append((start, k))
            start = k
    return out


def _net(d_in: int, proj: int, hidden: int, kernel: int, dropout: float):
    import torch
    from torch import nn

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.proj = nn.Linear(STATES, proj)
            self.conv = nn.Conv1d(proj + d_in - STATES, hidden, kernel, padding=kernel // 2)
            self.out = nn.Linear(hidden, 1)
            self.drop = nn.Dropout(dropout)

        def forward(self, x, valid):  # x [B, L, D], valid [B, L]
            z = torch.cat([self.proj(self.drop(x[..., :STATES])), x[..., STATES:]], -1)
            z = z * valid[..., None]  # padding rows are zeros, as at a sentence's ends
            h = torch.relu(self.conv(z.transpose(1, 2))).transpose(1, 2)
            return self.out(self.drop(h)).squeeze(-1)

    return Net()


def _batches(x, y, mask, sents, order, batch):
    import torch

    for b0 in range(0, len(order), batch):
        idx = [sents[j] for j in order[b0 : b0 + batch]]
        n = max(e - s for s, e in idx)
        xb = np.zeros((len(idx), n, x.shape[1]), dtype=np.float32)
        yb = np.zeros((len(idx), n), dtype=np.float32)
        vb = np.zeros((len(idx), n), dtype=np.float32)
        lb = np.zeros((len(idx), n), dtype=np.float32)
        for r, (s, e) in enumerate(idx):
            xb[r, : e - s] = x[s:e]
            yb[r, : e - s] = y[s:e]
            vb[r, : e - s] = 1.0
            lb[r, : e - s] = mask[s:e]
        yield idx, torch.from_numpy(xb), torch.from_numpy(yb), torch.from_numpy(vb), torch.from_numpy(lb)


class Fitted:
    """A fitted conv tagger: the torch net and the standardisation."""

    def __init__(self, net, mu, sd, epochs):
        self.net, self.mu, self.sd, self.epochs = net, mu, sd, epochs

    def predict(self, x, where) -> np.ndarray:
        """Probability per row of ``x`` (whole sentences, in ``where``'s order)."""
        import torch

        sents = sentences(where)
        xs = ((x - self.mu) / self.sd).astype(np.float32)
        out = np.zeros(len(x), dtype=np.float32)
        self.net.eval()
        with torch.inference_mode():
            for idx, xb, _y, vb, _l in _batches(xs, np.zeros(len(x)), np.ones(len(x)), sents,
                                                list(range(len(sents))), 256):
                pb = torch.sigmoid(self.net(xb, vb)).numpy()
                for r, (s, e) in enumerate(idx):
                    out[s:e] = pb[r, : e - s]
        return out


def fit(x, y, mask, where, train, blind, val=None, epochs=None, seed: int = 11, proj=PROJ, hidden=HIDDEN,
        kernel=KERNEL, dropout=DROPOUT, weight_decay=WEIGHT_DECAY, lr=LR, max_epochs=MAX_EPOCHS, log=print):
    """Fit on the sentences whose rows are ``train`` (``blind`` rows without their reference).

    ``val`` (rows): early stopping on their loss (patience :data:`PATIENCE`), the best
    epoch's weights kept; else exactly ``epochs`` epochs.
    """
    import torch

    from mtcheck.detect.tagger.features import without_reference

    torch.manual_seed(seed)
    torch.set_num_threads(1)
    rng = np.random.RandomState(seed)
    xt = x.copy()
    xt[blind] = without_reference(x[blind])
    mu = xt[train].mean(0, dtype=np.float64).astype(np.float32)
    sd = (xt[train].std(0, dtype=np.float64) + 1e-2).astype(np.float32)
    xs = ((xt - mu) / sd).astype(np.float32)
    del xt
    yf = y.astype(np.float32)
    mf = mask.astype(np.float32)
    sents = sentences(where)
    tr = [j for j, (s, _e) in enumerate(sents) if train[s]]
    va = [j for j, (s, _e) in enumerate(sents) if val is not None and val[s]]
    net = _net(x.shape[1], proj, hidden, kernel, dropout)
    opt = torch.optim.AdamW(net.parameters(), lr=lr, weight_decay=weight_decay)
    bce = torch.nn.BCEWithLogitsLoss(reduction="none")
    best, best_loss, best_state, since = 0, float("inf"), None, 0
    for ep in range(1, (epochs or max_epochs) + 1):
        net.train()
        for _idx, xb, yb, vb, lb in _batches(xs, yf, mf, sents, list(rng.permutation(tr)), BATCH):
            opt.zero_grad()
            loss = (bce(net(xb, vb), yb) * lb).sum() / lb.sum().clamp(min=1)
            loss.backward()
            opt.step()
        if val is None:
            continue
        net.eval()
        tot, cnt = 0.0, 0.0
        with torch.inference_mode():
            for _idx, xb, yb, vb, lb in _batches(xs, yf, mf, sents, va, 256):
                tot += float((bce(net(xb, vb), yb) * lb).sum())
                cnt += float(lb.sum())
        vl = tot / max(cnt, 1)
        log(f"    epoch {ep}: held-out loss {vl:.4f}")
        if vl < best_loss - 1e-5:
            best, best_loss, since = ep, vl, 0
            best_state = {k: v.clone() for k, v in net.state_dict().items()}
        else:
            since += 1
            if since >= PATIENCE:
                break
    if best_state is not None:
        net.load_state_dict(best_state)
    return Fitted(net, mu, sd, best if val is not None else epochs)


def save(model: Fitted, out, mid: int, extended: int) -> None:
    """Write ``model`` in the format ``ConvTaggerModel`` reads."""
    net = model.net
    w = net.conv.weight.detach().numpy()  # [hidden, channels, kernel]
    wc = w.transpose(2, 1, 0).reshape(-1, w.shape[0])  # rows: offset -k//2..+k//2, each all channels
    np.savez_compressed(
        out, mu=model.mu, sd=model.sd,
        p=net.proj.weight.detach().numpy().T.astype(np.float32), pb=net.proj.bias.detach().numpy(),
        wc=wc.astype(np.float32), bc=net.conv.bias.detach().numpy(),
        w2=net.out.weight.detach().numpy().ravel(), b2=np.float32(net.out.bias.detach().numpy()[0]),
        layers=np.array([0, mid, 6], dtype=np.int32), extended=np.array(int(extended)),
    )
