#include "core/attack.h"

#include "core/attribution.h"
#include "core/batches.h"
#include "core/dataset.h"
#include "core/error.h"
#include "core/model.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/csrc/autograd/autograd.h>
#include <torch/optim/adam.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <iomanip>
#include <numeric>
#include <sstream>

namespace convscope {

namespace {

const std::vector<std::string>& methodNames()
{
    static const std::vector<std::string> names = {"fgsm", "bim", "pgd", "pgd-l2", "deepfool", "cw"};
    return names;
}

std::string shortNumber(double value)
{
    std::ostringstream out;
    out << std::setprecision(4) << value;
    return out.str();
}

// The progress of part `index` of `parts` of a job, as `stage`; notes pass on as they are.
ProgressFn partProgress(const ProgressFn& progress, double index, double parts, const std::string& stage)
{
    if (!progress)
        return {};
    return [progress, index, parts, stage](double fraction, const std::string& text) {
        if (fraction == kNote)
            progress(kNote, text);
        else
            progress((index + fraction) / parts, stage);
    };
}

torch::Tensor longTensor(const std::vector<int64_t>& values, c10::Device device)
{
    return torch::tensor(values, torch::kLong).to(device);
}

std::vector<int64_t> longVector(const torch::Tensor& t)
{
    const torch::Tensor c = t.to(torch::kCPU, torch::kLong).contiguous();
    return {c.data_ptr<int64_t>(), c.data_ptr<int64_t>() + c.numel()};
}

std::vector<double> doubleVector(const torch::Tensor& t)
{
    const torch::Tensor c = t.to(torch::kCPU, torch::kFloat64).contiguous();
    return {c.data_ptr<double>(), c.data_ptr<double>() + c.numel()};
}

// Per-sample L2 norm of [n, ...].
torch::Tensor norms(const torch::Tensor& t)
{
    return t.flatten(1).norm(2, 1);
}

torch::Tensor perSample(const torch::Tensor& v)
{
    return v.view({-1, 1, 1, 1});
}

// What the attack is after, for `n` samples: the classes it moves away from
// (untargeted) or towards (targeted), and whether a prediction is a success.
struct Aim {
    bool targeted = false;
    torch::Tensor classes; // [N] long on the model's device

    torch::Tensor fooled(const torch::Tensor& logits, const torch::Tensor& cls) const
    {
        const torch::Tensor predicted = logits.argmax(1);
        return targeted ? predicted.eq(cls) : predicted.ne(cls);
    }
    torch::Tensor tracked(const torch::Tensor& logits, const torch::Tensor& cls) const
    {
        return torch::softmax(logits.detach(), 1).gather(1, cls.unsqueeze(1)).squeeze(1);
    }
};

// Logits and the gradient of the attack's loss at `x`: cross-entropy with
// the classes, ascended (untargeted) or descended (targeted). Summed over the
// batch so that each sample's gradient is its own, whatever the batch size.
// Cancelled between the passes if `cancel` is set.
std::pair<torch::Tensor, torch::Tensor> lossGradient(Model& model, const torch::Tensor& x, const torch::Tensor& cls,
                                                     bool targeted, const CancelFlag* cancel = nullptr)
{
    torch::Tensor in = x.detach().clone().requires_grad_(true);
    const torch::Tensor logits = model.capture(in, {}, true).logits;
    throwIfCancelled(cancel); // before the backward pass, the longer half
    // The op F.cross_entropy(..., reduction="sum") runs.
    torch::Tensor loss = at::cross_entropy_loss(logits, cls, {}, at::Reduction::Sum);
    if (targeted)
        loss = -loss;
    return {logits.detach(), torch::autograd::grad({loss}, {in})[0]};
}

// lossGradient() a chunk at a time (core/batches): Cancelled mid-batch.
std::pair<torch::Tensor, torch::Tensor> lossGradient(Batches& batches, Model& model, const torch::Tensor& x,
                                                     const torch::Tensor& cls, bool targeted)
{
    std::vector<torch::Tensor> logits, grads;
    const auto compute = [&](int64_t start, int64_t n) {
        return lossGradient(model, x.narrow(0, start, n), cls.narrow(0, start, n), targeted, batches.cancel());
    };
    batches.run(x.size(0), compute, [&](int64_t, int64_t, const std::pair<torch::Tensor, torch::Tensor>& part) {
        logits.push_back(part.first);
        grads.push_back(part.second);
    });
    return {torch::cat(logits), torch::cat(grads)};
}

// The logits of `x` a chunk at a time; Cancelled if `cancel` is set mid-batch.
torch::Tensor logitsOnly(Model& model, const torch::Tensor& x, const CancelFlag* cancel = nullptr)
{
    torch::NoGradGuard noGrad;
    std::vector<torch::Tensor> parts;
    const auto compute = [&](int64_t start, int64_t n) { return model.capture(x.narrow(0, start, n), {}, true).logits; };
    Batches(x.size(0), cancel).run(x.size(0), compute, [&](int64_t, int64_t, const torch::Tensor& part) {
        parts.push_back(part);
    });
    return torch::cat(parts);
}

// Bookkeeping shared by the attacks: the curve of the tracked probability
// and the step counts.
struct Run {
    const AttackOptions& options;
    const Aim& aim;
    const ProgressFn& progress;
    const CancelFlag* cancel;
    int64_t n;
    std::vector<int64_t> steps;
    std::vector<std::vector<double>> curve;
    bool recording = true; // the first restart or round only
    bool curveOpen = false;  // the last recorded point is not the final images: attack() adds it
    bool cancelled = false;
    // The forward and backward passes of a step, in chunks: Cancelled
    // mid-step, and smaller after running out of memory.
    Batches batches;

    std::vector<bool> cleanFooled;   // fooled before any change (a wrong clean prediction, or the target)
    std::vector<double> cleanTracked; // the curve's value for samples not (yet) attacked

    Run(const AttackOptions& o, const Aim& a, const ProgressFn& p, const CancelFlag* c, int64_t count)
        : options(o), aim(a), progress(p), cancel(c), n(count), steps(static_cast<size_t>(count), 0),
          batches(count, c, p)
    {
    }

    bool stopRequested()
    {
        if (cancel && cancel->load(std::memory_order_relaxed))
            cancelled = true;
        return cancelled;
    }
    // Runs a step's passes (core/batches chunks); false (and `cancelled`)
    // when a cancel stopped them midway: the images stay as the last whole
    // step left them.
    template <typename Passes>
    bool passes(Passes&& run)
    {
        if (!uncancelled(run))
            cancelled = true;
        return !cancelled;
    }
    // Records the tracked probability of the samples `who` at curve point `point`.
    void record(size_t point, const std::vector<int64_t>& who, const torch::Tensor& logits, const torch::Tensor& cls)
    {
        if (!recording)
            return;
        if (curve.size() <= point)
            curve.push_back(curve.empty() ? cleanTracked : curve.back());
        const std::vector<double> p = doubleVector(aim.tracked(logits, cls));
        for (size_t i = 0; i < who.size(); ++i)
            curve[point][static_cast<size_t>(who[i])] = p[i];
    }
    void counted(const std::vector<int64_t>& who)
    {
        for (int64_t i : who)
            ++steps[static_cast<size_t>(i)];
    }
    void report(double fraction, const std::string& stage) const
    {
        if (progress)
            progress(std::min(1.0, fraction), stage);
    }
};

std::vector<int64_t> select(const std::vector<int64_t>& who, const std::vector<bool>& keep)
{
    std::vector<int64_t> out;
    for (size_t i = 0; i < who.size(); ++i)
        if (keep[i])
            out.push_back(who[i]);
    return out;
}

std::vector<bool> boolVector(const torch::Tensor& t)
{
    const std::vector<int64_t> v = longVector(t);
    return {v.begin(), v.end()};
}

// FGSM, BIM, PGD and PGD-L2: signed (L-infinity) or normalized (L2) gradient
// steps, projected back into the eps-ball around the image and into [0, 1].
// Only samples still being attacked go through the model.
torch::Tensor gradientSteps(Model& model, const torch::Tensor& x, Run& run)
{
    const AttackOptions& o = run.options;
    const bool l2 = o.method == AttackMethod::PgdL2;
    const bool fgsm = o.method == AttackMethod::Fgsm;
    const bool random = o.randomStart && (o.method == AttackMethod::Pgd || l2);
    const int64_t steps = fgsm ? 1 : o.steps;
    const int64_t restarts = random ? o.restarts : 1;
    const double alpha = attackStepSize(o);
    auto generator = at::make_generator<at::CPUGeneratorImpl>(o.seed);

    torch::Tensor adv = x.clone();
    // With early stop a sample fooled as it is stays as it is: no random
    // start either (which could undo it, or count as a perturbation it never needed).
    std::vector<bool> fooled = o.earlyStop ? run.cleanFooled : std::vector<bool>(static_cast<size_t>(run.n), false);
    for (int64_t restart = 0; restart < restarts; ++restart) {
        std::vector<int64_t> active;
        for (int64_t i = 0; i < run.n; ++i)
            if (!fooled[static_cast<size_t>(i)])
                active.push_back(i);
        if (active.empty())
            break;
        run.recording = restart == 0;
        torch::Tensor start = x;
        if (random) {
            // Drawn for the whole batch, so a sample's start does not depend
            // on which others are still being attacked.
            const torch::Tensor xc = x.to(torch::kCPU);
            torch::Tensor delta;
            if (l2) {
                delta = at::normal(0.0, 1.0, xc.sizes(), generator);
                const torch::Tensor r = at::empty({run.n}, xc.options()).uniform_(0, 1, generator);
                delta = delta * perSample(r / norms(delta) * o.eps);
            } else {
                delta = at::empty_like(xc).uniform_(-o.eps, o.eps, generator);
            }
            start = (xc + delta).clamp(0, 1).to(x.device());
        }
        torch::Tensor idx = longTensor(active, x.device());
        adv.index_copy_(0, idx, start.index_select(0, idx));
        for (int64_t step = 0;; ++step) {
            idx = longTensor(active, x.device());
            const torch::Tensor xa = adv.index_select(0, idx);
            const torch::Tensor cls = run.aim.classes.index_select(0, idx);
            const bool last = step == steps;
            // After the last restart attack() judges the images anyway: one
            // forward pass fewer (and the curve's last point comes from there).
            if (last && restart + 1 == restarts) {
                run.curveOpen = run.recording;
                break;
            }
            torch::Tensor logits, grad;
            if (!run.passes([&] {
                    if (last)
                        logits = logitsOnly(model, xa, run.cancel);
                    else
                        std::tie(logits, grad) = lossGradient(run.batches, model, xa, cls, run.aim.targeted);
                }))
                break;
            run.record(static_cast<size_t>(step), active, logits, cls);
            const std::vector<bool> now = boolVector(run.aim.fooled(logits, cls));
            if (last || o.earlyStop) {
                for (size_t i = 0; i < active.size(); ++i)
                    fooled[static_cast<size_t>(active[i])] = now[i];
            }
            if (last)
                break;
            std::vector<bool> keep(active.size(), true);
            if (o.earlyStop)
                for (size_t i = 0; i < active.size(); ++i)
                    keep[i] = !now[i];
            const std::vector<int64_t> moving = select(active, keep);
            if (moving.empty() || run.stopRequested())
                break;
            // Rows of this step's batch that keep moving.
            std::vector<int64_t> rows;
            for (size_t i = 0; i < keep.size(); ++i)
                if (keep[i])
                    rows.push_back(static_cast<int64_t>(i));
            const torch::Tensor r = longTensor(rows, x.device());
            const torch::Tensor g = grad.index_select(0, r);
            const torch::Tensor m = longTensor(moving, x.device());
            const torch::Tensor clean = x.index_select(0, m);
            torch::Tensor next;
            if (l2) {
                next = xa.index_select(0, r) + alpha * g / perSample(norms(g) + 1e-10);
                torch::Tensor delta = next - clean;
                delta = delta * perSample(torch::clamp_max(o.eps / norms(delta), 1.0));
                next = (clean + delta).clamp(0, 1);
            } else {
                next = xa.index_select(0, r) + alpha * g.sign();
                next = (clean + (next - clean).clamp(-o.eps, o.eps)).clamp(0, 1);
            }
            adv.index_copy_(0, m, next);
            run.counted(moving);
            active = moving;
            run.report((static_cast<double>(restart * steps + step + 1)) / static_cast<double>(restarts * steps),
                       restarts > 1 ? "restart " + std::to_string(restart + 1) + ", step " + std::to_string(step + 1)
                                    : "step " + std::to_string(step + 1));
        }
        if (run.cancelled)
            break;
    }
    return adv;
}

// DeepFool's linearization at `images` (core/batches chunks; Cancelled
// midway): the logits, and with `gradients` per sample the distance to the
// nearest boundary among the candidates `cand` [n, k] and the direction
// (the gradient difference) that crosses it; infinite where there is none.
struct DeepFoolStep {
    torch::Tensor logits, distance, direction;
};

DeepFoolStep deepFoolChunk(Model& model, const torch::Tensor& images, const torch::Tensor& cls,
                           const torch::Tensor& cand, bool targeted, bool gradients)
{
    torch::Tensor in = images.detach().clone().requires_grad_(true);
    const torch::Tensor logits = model.capture(in, {}, true).logits;
    if (!gradients)
        return {logits.detach(), {}, {}};
    // The boundary is crossed from the label (untargeted) or from the
    // current prediction (targeted) towards each candidate.
    const torch::Tensor from = targeted ? logits.argmax(1) : cls;
    const auto gradientOf = [&](const torch::Tensor& which, bool retain) {
        return torch::autograd::grad({logits.gather(1, which.unsqueeze(1)).sum()}, {in}, {}, retain)[0];
    };
    const torch::Tensor gFrom = gradientOf(from, true);
    const torch::Tensor zFrom = logits.gather(1, from.unsqueeze(1)).squeeze(1).detach();
    torch::Tensor best = torch::full({in.size(0)}, std::numeric_limits<float>::infinity(), images.options());
    torch::Tensor bestW = torch::zeros_like(gFrom);
    for (int64_t j = 0; j < cand.size(1); ++j) {
        const torch::Tensor c = cand.select(1, j);
        const torch::Tensor w = gradientOf(c, j + 1 < cand.size(1)) - gFrom;
        const torch::Tensor f = logits.gather(1, c.unsqueeze(1)).squeeze(1).detach() - zFrom;
        const torch::Tensor distance = f.abs() / (norms(w) + 1e-8);
        // A candidate that is the class we start from has no boundary.
        const torch::Tensor better = distance.lt(best) & c.ne(from);
        best = torch::where(better, distance, best);
        bestW = torch::where(perSample(better), w, bestW);
    }
    return {logits.detach(), best, bestW};
}

DeepFoolStep deepFoolStep(Batches& batches, Model& model, const torch::Tensor& images, const torch::Tensor& cls,
                          const torch::Tensor& cand, bool targeted, bool gradients)
{
    const auto compute = [&](int64_t start, int64_t n) {
        return deepFoolChunk(model, images.narrow(0, start, n), cls.narrow(0, start, n), cand.narrow(0, start, n),
                             targeted, gradients);
    };
    std::vector<torch::Tensor> logits, distance, direction;
    batches.run(images.size(0), compute, [&](int64_t, int64_t, const DeepFoolStep& part) {
        logits.push_back(part.logits);
        if (gradients) {
            distance.push_back(part.distance);
            direction.push_back(part.direction);
        }
    });
    if (!gradients)
        return {torch::cat(logits), {}, {}};
    return {torch::cat(logits), torch::cat(distance), torch::cat(direction)};
}

// DeepFool: at each step, the nearest boundary of the linearized model among
// the candidate classes, crossed with the smallest L2 step; the image is the
// clean one plus (1 + overshoot) times the accumulated steps.
torch::Tensor deepFool(Model& model, const torch::Tensor& x, const torch::Tensor& cleanLogits, Run& run)
{
    const AttackOptions& o = run.options;
    const int64_t classes = cleanLogits.size(1);
    // Candidate classes per sample: the target, or the clean top ones other than the label.
    torch::Tensor candidates;
    if (run.aim.targeted) {
        candidates = run.aim.classes.unsqueeze(1);
    } else {
        const int64_t k = std::min(o.candidates, classes - 1);
        const torch::Tensor order = cleanLogits.argsort(1, true).cpu().contiguous();
        const std::vector<int64_t> labels = longVector(run.aim.classes);
        std::vector<int64_t> picked;
        for (int64_t i = 0; i < run.n; ++i) {
            const int64_t* row = order[i].data_ptr<int64_t>();
            for (int64_t j = 0, taken = 0; j < classes && taken < k; ++j)
                if (row[j] != labels[static_cast<size_t>(i)]) {
                    picked.push_back(row[j]);
                    ++taken;
                }
        }
        candidates = longTensor(picked, x.device()).view({run.n, k});
    }
    torch::Tensor total = torch::zeros_like(x);
    const auto image = [&](const torch::Tensor& rows) {
        return (x.index_select(0, rows) + (1 + o.overshoot) * total.index_select(0, rows)).clamp(0, 1);
    };
    std::vector<int64_t> active(static_cast<size_t>(run.n));
    std::iota(active.begin(), active.end(), 0);
    for (int64_t step = 0;; ++step) {
        const torch::Tensor idx = longTensor(active, x.device());
        const torch::Tensor cls = run.aim.classes.index_select(0, idx);
        const torch::Tensor cand = candidates.index_select(0, idx);
        const bool last = step == o.steps;
        DeepFoolStep s;
        if (!run.passes([&] { s = deepFoolStep(run.batches, model, image(idx), cls, cand, run.aim.targeted, !last); }))
            break;
        run.record(static_cast<size_t>(step), active, s.logits, cls);
        std::vector<bool> keep = boolVector(run.aim.fooled(s.logits, cls).logical_not());
        if (last || run.stopRequested())
            break;
        const torch::Tensor best = s.distance, bestW = s.direction;
        // Samples with no boundary left to cross (only their own class) stop.
        const std::vector<bool> usable = boolVector(torch::isfinite(best));
        for (size_t i = 0; i < keep.size(); ++i)
            keep[i] = keep[i] && usable[i];
        const torch::Tensor r = perSample(best + 1e-4) * bestW / perSample(norms(bestW) + 1e-8);
        std::vector<int64_t> rows;
        for (size_t i = 0; i < keep.size(); ++i)
            if (keep[i])
                rows.push_back(static_cast<int64_t>(i));
        const std::vector<int64_t> moving = select(active, keep);
        if (moving.empty())
            break;
        const torch::Tensor m = longTensor(moving, x.device());
        total.index_add_(0, m, r.index_select(0, longTensor(rows, x.device())));
        run.counted(moving);
        active = moving;
        run.report(static_cast<double>(step + 1) / static_cast<double>(o.steps), "step " + std::to_string(step + 1));
    }
    std::vector<int64_t> all(static_cast<size_t>(run.n));
    std::iota(all.begin(), all.end(), 0);
    return image(longTensor(all, x.device())).detach();
}

// One step of Carlini-Wagner's objective at w, per sample (core/batches
// chunks; Cancelled midway): the images, logits, squared L2 distances and
// margins, and the gradient of the summed loss with respect to w.
struct CarliniWagnerStep {
    torch::Tensor images, logits, distance, margin, grad;
};

CarliniWagnerStep carliniWagnerStep(Batches& batches, Model& model, const torch::Tensor& x, const torch::Tensor& w,
                                    const torch::Tensor& onehot, const torch::Tensor& cs, bool targeted, double kappa)
{
    const auto compute = [&](int64_t start, int64_t n) {
        const torch::Tensor wc = w.detach().narrow(0, start, n).requires_grad_(true);
        const torch::Tensor hot = onehot.narrow(0, start, n);
        CarliniWagnerStep s;
        const torch::Tensor xa = (torch::tanh(wc) + 1) / 2;
        const torch::Tensor logits = model.capture(xa, {}, true).logits;
        throwIfCancelled(batches.cancel()); // before the backward pass, the longer half
        const torch::Tensor distance = (xa - x.narrow(0, start, n)).pow(2).flatten(1).sum(1);
        const torch::Tensor real = logits.masked_select(hot);
        const torch::Tensor other = logits.masked_fill(hot, -std::numeric_limits<float>::infinity()).amax(1);
        const torch::Tensor margin = targeted ? other - real : real - other;
        const torch::Tensor loss = (distance + cs.narrow(0, start, n) * margin.clamp_min(-kappa)).sum();
        s.grad = torch::autograd::grad({loss}, {wc})[0];
        s.images = xa.detach();
        s.logits = logits.detach();
        s.distance = distance.detach();
        s.margin = margin.detach();
        return s;
    };
    std::vector<CarliniWagnerStep> parts;
    batches.run(w.size(0), compute, [&](int64_t, int64_t, CarliniWagnerStep part) { parts.push_back(std::move(part)); });
    const auto cat = [&](torch::Tensor CarliniWagnerStep::*field) {
        std::vector<torch::Tensor> all;
        for (const auto& part : parts)
            all.push_back(part.*field);
        return torch::cat(all);
    };
    return {cat(&CarliniWagnerStep::images), cat(&CarliniWagnerStep::logits), cat(&CarliniWagnerStep::distance),
            cat(&CarliniWagnerStep::margin), cat(&CarliniWagnerStep::grad)};
}

// Carlini-Wagner L2: x = (tanh(w) + 1) / 2, Adam on ||x - clean||^2 +
// c * max(margin, -kappa); per sample, c is halved towards the smallest value
// that still succeeds (or multiplied by 10 until one does). Keeps the
// smallest successful perturbation; samples never fooled stay clean.
torch::Tensor carliniWagner(Model& model, const torch::Tensor& x, const torch::Tensor& clean, Run& run,
                            torch::Tensor& bestLogits)
{
    const AttackOptions& o = run.options;
    const torch::Tensor w0 = torch::atanh((x * 2 - 1).clamp(-1, 1) * 0.999999);
    const int64_t n = run.n;
    std::vector<double> lower(static_cast<size_t>(n), 0.0), upper(static_cast<size_t>(n), 1e10),
        c(static_cast<size_t>(n), o.c), bestL2(static_cast<size_t>(n), std::numeric_limits<double>::infinity());
    torch::Tensor best = x.clone();
    // The logits of `best` as they are found, so that the result needs no
    // forward pass of its own (a Stop returns without one).
    bestLogits = clean.detach().clone();
    const torch::Tensor onehot = torch::one_hot(run.aim.classes, model.info().outputs).to(torch::kBool);
    std::vector<int64_t> all(static_cast<size_t>(n));
    std::iota(all.begin(), all.end(), 0);
    const int64_t total = o.binarySteps * o.steps;
    run.curveOpen = true; // its steps record before each update
    for (int64_t round = 0; round < o.binarySteps && !run.cancelled; ++round) {
        run.recording = round == 0;
        torch::Tensor w = w0.clone().requires_grad_(true);
        torch::optim::Adam adam({w}, torch::optim::AdamOptions(o.learningRate));
        const torch::Tensor cs = torch::tensor(c, torch::kFloat64).to(x.device(), x.scalar_type());
        std::vector<bool> succeeded(static_cast<size_t>(n), false);
        for (int64_t step = 0; step < o.steps; ++step) {
            if (run.stopRequested())
                break;
            CarliniWagnerStep s;
            if (!run.passes([&] { s = carliniWagnerStep(run.batches, model, x, w, onehot, cs, run.aim.targeted, o.kappa); }))
                break;
            run.record(static_cast<size_t>(step), all, s.logits, run.aim.classes);
            const torch::Tensor ok = run.aim.fooled(s.logits, run.aim.classes) & (-s.margin).ge(o.kappa);
            const std::vector<bool> okNow = boolVector(ok);
            const std::vector<double> d = doubleVector(s.distance);
            for (int64_t i = 0; i < n; ++i) {
                if (!okNow[static_cast<size_t>(i)])
                    continue;
                succeeded[static_cast<size_t>(i)] = true;
                if (d[static_cast<size_t>(i)] < bestL2[static_cast<size_t>(i)]) {
                    bestL2[static_cast<size_t>(i)] = d[static_cast<size_t>(i)];
                    best[i].copy_(s.images[i]);
                    bestLogits[i].copy_(s.logits[i].detach());
                }
            }
            adam.zero_grad();
            w.mutable_grad() = s.grad;
            adam.step();
            run.counted(all);
            run.report(static_cast<double>(round * o.steps + step + 1) / static_cast<double>(total),
                       "c search " + std::to_string(round + 1) + "/" + std::to_string(o.binarySteps) + ", step " +
                           std::to_string(step + 1));
        }
        for (size_t i = 0; i < static_cast<size_t>(n); ++i) {
            if (succeeded[i]) {
                upper[i] = std::min(upper[i], c[i]);
                c[i] = (lower[i] + upper[i]) / 2;
            } else {
                lower[i] = std::max(lower[i], c[i]);
                c[i] = upper[i] < 1e9 ? (lower[i] + upper[i]) / 2 : c[i] * 10;
            }
        }
    }
    return best;
}

} // namespace

AttackMethod attackMethodFromName(const std::string& name)
{
    const auto& names = methodNames();
    const auto it = std::find(names.begin(), names.end(), name);
    if (it == names.end())
        throw Error("unknown attack '" + name + "': use fgsm, bim, pgd, pgd-l2, deepfool or cw");
    return static_cast<AttackMethod>(it - names.begin());
}

std::string attackMethodName(AttackMethod method)
{
    return methodNames()[static_cast<size_t>(method)];
}

std::vector<std::string> attackMethodNames()
{
    return methodNames();
}

bool attackUsesEps(AttackMethod method)
{
    return method != AttackMethod::DeepFool && method != AttackMethod::CarliniWagner;
}

bool attackIsL2(AttackMethod method)
{
    return method == AttackMethod::PgdL2 || !attackUsesEps(method);
}

AttackOptions attackDefaults(AttackMethod method)
{
    AttackOptions o;
    o.method = method;
    switch (method) {
    case AttackMethod::Fgsm:
        o.steps = 1;
        break;
    case AttackMethod::PgdL2:
        o.eps = 0.5;
        break;
    case AttackMethod::DeepFool:
        o.steps = 50;
        break;
    case AttackMethod::CarliniWagner:
        o.steps = 100;
        break;
    default:
        break;
    }
    return o;
}

double attackStepSize(const AttackOptions& o)
{
    if (o.method == AttackMethod::Fgsm)
        return o.eps;
    return o.alpha > 0 ? o.alpha : 2.5 * o.eps / static_cast<double>(std::max<int64_t>(1, o.steps));
}

void checkAttackOptions(const Model& model, const AttackOptions& o)
{
    if (attackUsesEps(o.method) && !(o.eps > 0 && std::isfinite(o.eps)))
        throw Error("eps must be a positive number");
    if (o.steps < 1)
        throw Error("steps must be at least 1");
    if (!(o.alpha > 0 || o.alpha == -1) || !std::isfinite(o.alpha))
        throw Error("the step size must be a positive number");
    if (o.restarts < 1)
        throw Error("restarts must be at least 1");
    if (o.target >= 0)
        checkTarget(model, o.target);
    if (!(o.overshoot >= 0) || o.candidates < 1)
        throw Error("DeepFool needs an overshoot of 0 or more and at least 1 candidate class");
    if (!(o.c > 0) || !(o.kappa >= 0) || !(o.learningRate > 0) || o.binarySteps < 1)
        throw Error("Carlini-Wagner needs c > 0, kappa >= 0, a learning rate > 0 and at least 1 search round");
    if (model.info().outputs < 2)
        throw Error("an attack needs a model with at least 2 classes");
}

namespace {

// attack() with the clean logits known already (robustness() has them from
// its clean pass); undefined `known` computes them. With `discardCancelled`
// a cancelled attack returns at once, only `cancelled` set (robustness()
// keeps no part of a budget).
AttackResult attackFrom(Model& model, const torch::Tensor& images, const torch::Tensor& known,
                        const std::vector<int64_t>& labels, const AttackOptions& options, const ProgressFn& progress,
                        const CancelFlag* cancel, bool discardCancelled = false)
{
    checkAttackOptions(model, options);
    const auto started = std::chrono::steady_clock::now();
    const torch::Tensor x = model.prepare(images).detach().contiguous();
    const int64_t n = x.size(0);
    if (!labels.empty() && static_cast<int64_t>(labels.size()) != n)
        throw Error("attack: " + std::to_string(labels.size()) + " labels for " + std::to_string(n) + " images");
    for (int64_t label : labels)
        if (label < 0 || label >= model.info().outputs)
            throw Error("attack: label " + std::to_string(label) + " is not one of the model's " +
                        std::to_string(model.info().outputs) + " classes");

    AttackResult result;
    const torch::Tensor clean = known.defined() ? known : logitsOnly(model, x);
    const torch::Tensor cleanPredicted = clean.argmax(1);
    result.labels = labels.empty() ? longVector(cleanPredicted) : labels;
    Aim aim;
    aim.targeted = options.target >= 0;
    aim.classes = aim.targeted ? torch::full({n}, options.target, torch::dtype(torch::kLong).device(x.device()))
                               : longTensor(result.labels, x.device());

    Run run(options, aim, progress, cancel, n);
    run.cleanFooled = boolVector(aim.fooled(clean, aim.classes));
    run.cleanTracked = doubleVector(aim.tracked(clean, aim.classes));
    torch::Tensor adv, after; // `after`: the logits of `adv` where the method knows them
    switch (options.method) {
    case AttackMethod::DeepFool:
        adv = deepFool(model, x, clean, run);
        break;
    case AttackMethod::CarliniWagner:
        adv = carliniWagner(model, x, clean, run, after);
        break;
    default:
        adv = gradientSteps(model, x, run);
        break;
    }

    if (run.cancelled && discardCancelled) {
        result.cancelled = true;
        return result;
    }
    if (!after.defined())
        after = logitsOnly(model, adv);
    result.logitsBefore = clean.detach().to(torch::kCPU, torch::kFloat32);
    result.logitsAfter = after.detach().to(torch::kCPU, torch::kFloat32);
    const torch::Tensor pClean = torch::softmax(clean, 1), pAfter = torch::softmax(after, 1);
    result.before = longVector(cleanPredicted);
    result.after = longVector(after.argmax(1));
    result.beforeProbability = doubleVector(std::get<0>(pClean.max(1)));
    result.afterProbability = doubleVector(std::get<0>(pAfter.max(1)));
    result.trackedBefore = doubleVector(aim.tracked(clean, aim.classes));
    result.trackedAfter = doubleVector(aim.tracked(after, aim.classes));
    result.success = boolVector(aim.fooled(after, aim.classes));
    const torch::Tensor d = (adv.to(torch::kFloat64) - x.to(torch::kFloat64)).flatten(1).cpu();
    result.linf = doubleVector(d.abs().amax(1));
    result.l2 = doubleVector(d.norm(2, 1));
    result.l0 = longVector(d.abs().ge(0.5 / 255).sum(1));
    result.steps = run.steps;
    result.curve = std::move(run.curve);
    if (run.curveOpen)
        result.curve.push_back(result.trackedAfter); // end where the images are
    result.adversarial = adv.to(torch::kCPU, torch::kFloat32).contiguous();
    result.cancelled = run.cancelled;
    result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    return result;
}

} // namespace

AttackResult attack(Model& model, const torch::Tensor& images, const std::vector<int64_t>& labels,
                    const AttackOptions& options, const ProgressFn& progress, const CancelFlag* cancel)
{
    return attackFrom(model, images, {}, labels, options, progress, cancel);
}

std::vector<int64_t> datasetClassMap(const Model& model, const Dataset& dataset)
{
    const auto& classes = dataset.classes();
    const auto& labels = model.info().labels;
    std::vector<int64_t> map;
    for (const auto& name : classes) {
        const auto it = std::find(labels.begin(), labels.end(), name);
        if (it == labels.end())
            break;
        map.push_back(it - labels.begin());
    }
    if (map.size() == classes.size())
        return map;
    if (static_cast<int64_t>(classes.size()) > model.info().outputs)
        throw Error("the dataset has " + std::to_string(classes.size()) + " classes but the model only " +
                    std::to_string(model.info().outputs) + " outputs, and their names do not match its labels");
    map.resize(classes.size());
    std::iota(map.begin(), map.end(), 0);
    return map;
}

RobustnessResult robustness(Model& model, Dataset& dataset, const AttackOptions& attackOptions,
                            const RobustnessOptions& options, const ProgressFn& progress, const CancelFlag* cancel)
{
    const auto started = std::chrono::steady_clock::now();
    if (options.samples < 1)
        throw Error("robustness needs at least 1 sample");
    if (options.epsilons.empty())
        throw Error("robustness needs at least one eps");
    for (double eps : options.epsilons)
        if (!(eps >= 0) || !std::isfinite(eps))
            throw Error("every eps must be 0 or a positive number");
    AttackOptions probe = attackOptions;
    probe.eps = 1; // each budget is checked when it runs; the rest now
    checkAttackOptions(model, probe);

    RobustnessResult result;
    result.method = attackOptions.method;
    result.labeled = dataset.labeled();
    const std::vector<int64_t> classMap = result.labeled ? datasetClassMap(model, dataset) : std::vector<int64_t>{};
    std::vector<int64_t> order(static_cast<size_t>(dataset.size()));
    std::iota(order.begin(), order.end(), 0);
    seededShuffle(order, options.sampleSeed);
    order.resize(static_cast<size_t>(std::min<int64_t>(options.samples, dataset.size())));
    const int64_t batchSize = options.batch > 0 ? options.batch : imagesPerBatch(model, int64_t(512) << 20, true, 128);

    // The images, read once, with their labels.
    struct Batch {
        torch::Tensor images;
        std::vector<int64_t> labels;
        std::vector<bool> cleanCorrect;
        torch::Tensor logits; // clean, so that the attacks need not run them again
    };
    std::vector<Batch> batches;
    for (size_t start = 0; start < order.size(); start += static_cast<size_t>(batchSize)) {
        throwIfCancelled(cancel);
        const std::vector<int64_t> want(order.begin() + static_cast<std::ptrdiff_t>(start),
                                        order.begin() + static_cast<std::ptrdiff_t>(std::min(order.size(), start + static_cast<size_t>(batchSize))));
        std::vector<int64_t> loaded;
        Batch b;
        b.images = loadBatch(dataset, want, &loaded);
        if (loaded.empty())
            continue;
        b.logits = logitsOnly(model, model.prepare(b.images), cancel);
        const std::vector<int64_t> p = longVector(b.logits.argmax(1));
        for (size_t i = 0; i < loaded.size(); ++i) {
            const int64_t label = result.labeled ? classMap[static_cast<size_t>(dataset.label(loaded[i]))] : p[i];
            b.labels.push_back(label);
            b.cleanCorrect.push_back(p[i] == label);
            result.images.push_back(loaded[i]);
            result.labels.push_back(label);
        }
        result.samples += static_cast<int64_t>(loaded.size());
        batches.push_back(std::move(b));
        // The clean pass over many images takes a while too: say so (the bar
        // itself measures the attacks).
        if (progress)
            progress(0, "clean predictions: " + std::to_string(start + want.size()) + " / "
                            + std::to_string(order.size()) + " images");
    }
    if (result.samples == 0)
        throw Error("no image of " + dataset.description() + " could be read");
    int64_t cleanCorrect = 0;
    for (const auto& b : batches)
        cleanCorrect += std::count(b.cleanCorrect.begin(), b.cleanCorrect.end(), true);
    result.cleanAccuracy = static_cast<double>(cleanCorrect) / static_cast<double>(result.samples);
    const int64_t classes = model.info().outputs;
    const auto point = [&](double eps, int64_t correct, std::vector<int64_t> confusion) {
        result.points.push_back({eps, correct, static_cast<double>(correct) / static_cast<double>(result.samples),
                                 std::move(confusion), classes});
    };
    // Counts of (label, prediction) pairs, one per sample in batch order.
    const auto confusionOf = [&](const std::vector<int64_t>& predictions) {
        std::vector<int64_t> counts(static_cast<size_t>(classes * classes), 0);
        size_t k = 0;
        for (const auto& b : batches)
            for (int64_t label : b.labels)
                ++counts[static_cast<size_t>(label * classes + predictions[k++])];
        return counts;
    };
    std::vector<int64_t> cleanPredictions;
    for (const auto& b : batches)
        for (int64_t p : longVector(b.logits.argmax(1)))
            cleanPredictions.push_back(p);
    // The images, when the caller wants them and they fit.
    const auto& in = model.info().input;
    const double imageBytes = 4.0 * static_cast<double>(in[0] * in[1] * in[2]);
    const bool keep = options.keepImages
        && imageBytes * static_cast<double>(result.samples) * static_cast<double>(options.epsilons.size() + 1)
            <= static_cast<double>(options.keepBytes);
    if (keep) {
        std::vector<torch::Tensor> parts;
        for (const auto& b : batches)
            parts.push_back(b.images.to(torch::kCPU, torch::kFloat));
        result.clean = torch::cat(parts);
    }
    const auto done = [&] {
        result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
        return result;
    };

    if (!attackUsesEps(attackOptions.method)) {
        // One minimal-perturbation run gives every budget: a sample survives
        // eps when it was correct and the attack failed or needed more.
        std::vector<double> needed; // per clean-correct sample: L2 to fool it, infinity if never
        std::vector<double> l2s; // per sample, batch order: L2 of the perturbation, infinity if it failed
        std::vector<int64_t> afters; // per sample: the adversarial class
        std::vector<torch::Tensor> minimal; // per batch: the adversarial images (keep only)
        for (size_t bi = 0; bi < batches.size(); ++bi) {
            const ProgressFn inner = partProgress(progress, static_cast<double>(bi), static_cast<double>(batches.size()),
                                                  attackMethodName(attackOptions.method) + ": batch "
                                                      + std::to_string(bi + 1) + "/" + std::to_string(batches.size()));
            const AttackResult r = attackFrom(model, batches[bi].images, batches[bi].logits, batches[bi].labels, attackOptions, inner,
                                              cancel, true);
            if (r.cancelled) {
                result.cancelled = true;
                return done();
            }
            if (keep)
                minimal.push_back(r.adversarial);
            for (size_t i = 0; i < r.success.size(); ++i) {
                const double l2 = r.success[i] ? r.l2[i] : std::numeric_limits<double>::infinity();
                if (batches[bi].cleanCorrect[i])
                    needed.push_back(l2);
                l2s.push_back(l2);
                afters.push_back(r.after[i]);
            }
        }
        const torch::Tensor adversarial = keep ? torch::cat(minimal) : torch::Tensor();
        for (double eps : options.epsilons) {
            std::vector<int64_t> predictions = cleanPredictions;
            std::vector<uint8_t> fits(predictions.size(), 0);
            for (size_t k = 0; k < predictions.size(); ++k)
                if (l2s[k] <= eps) {
                    predictions[k] = afters[k];
                    fits[k] = 1;
                }
            if (keep) {
                const torch::Tensor mask = torch::tensor(fits).to(torch::kBool).view({-1, 1, 1, 1});
                result.adversarial.push_back(torch::where(mask, adversarial, result.clean));
            }
            point(eps, std::count_if(needed.begin(), needed.end(), [&](double l2) { return l2 > eps; }),
                  confusionOf(predictions));
        }
        std::vector<double> fooled;
        for (double l2 : needed)
            if (std::isfinite(l2))
                fooled.push_back(l2);
        result.successRate = needed.empty() ? 0 : static_cast<double>(fooled.size()) / static_cast<double>(needed.size());
        if (!fooled.empty()) {
            std::sort(fooled.begin(), fooled.end());
            const size_t mid = fooled.size() / 2;
            result.medianL2 = fooled.size() % 2 ? fooled[mid] : (fooled[mid - 1] + fooled[mid]) / 2;
        }
        return done();
    }

    const double units = static_cast<double>(options.epsilons.size() * batches.size());
    for (size_t e = 0; e < options.epsilons.size(); ++e) {
        const double eps = options.epsilons[e];
        if (eps == 0) {
            point(0, cleanCorrect, confusionOf(cleanPredictions));
            if (keep)
                result.adversarial.push_back(result.clean);
            continue;
        }
        AttackOptions o = attackOptions;
        o.eps = eps;
        int64_t correct = 0;
        std::vector<int64_t> predictions;
        std::vector<torch::Tensor> attacked;
        for (size_t bi = 0; bi < batches.size(); ++bi) {
            const double base = static_cast<double>(e * batches.size() + bi);
            const ProgressFn inner = partProgress(progress, base, units,
                                                  attackMethodName(o.method) + " eps " + shortNumber(eps) + ": batch "
                                                      + std::to_string(bi + 1) + "/" + std::to_string(batches.size()));
            const AttackResult r = attackFrom(model, batches[bi].images, batches[bi].logits, batches[bi].labels, o, inner, cancel, true);
            if (r.cancelled) {
                result.cancelled = true;
                return done();
            }
            for (size_t i = 0; i < r.after.size(); ++i) {
                correct += r.after[i] == batches[bi].labels[i];
                predictions.push_back(r.after[i]);
            }
            if (keep)
                attacked.push_back(r.adversarial);
        }
        point(eps, correct, confusionOf(predictions));
        if (keep)
            result.adversarial.push_back(torch::cat(attacked));
    }
    return done();
}

torch::Tensor perturbationImage(const torch::Tensor& clean, const torch::Tensor& adversarial, double scale)
{
    return (0.5 + scale * (adversarial.to(torch::kCPU, torch::kFloat32) - clean.to(torch::kCPU, torch::kFloat32)))
        .clamp(0, 1);
}

} // namespace convscope
