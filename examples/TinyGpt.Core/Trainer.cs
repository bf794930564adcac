using System.Diagnostics;
using TorchMmap.Data;
using TorchMmap.Storage;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace TinyGpt;

/// <summary>
/// Trains <see cref="GptModel"/> on the windows of a memory-mapped token file, read by <see cref="NpyDataLoader"/> in
/// nanoGPT's <c>get_batch</c> order (random start offsets with replacement), and evaluates it on the validation file's
/// non-overlapping windows. Callable with small settings (tests) as well as the full run (the program).
/// </summary>
public static class Trainer
{
    /// <summary>Runs training and the final evaluation.</summary>
    /// <param name="settings">The run's settings; <see cref="GptConfig.VocabularySize"/> must cover the token files' ids.</param>
    /// <param name="trainPath">The training tokens (nanoGPT <c>.bin</c>: headerless little-endian uint16).</param>
    /// <param name="validationPath">The validation tokens, same format.</param>
    /// <param name="modelPath">Where to save the trained weights with TorchSharp's <c>save</c>; null to not save.</param>
    /// <param name="observer">Told about progress; may be null.</param>
    /// <returns>The loss curve, the final validation loss, and the times.</returns>
    /// <exception cref="ArgumentException">A token file is too short for one window.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A setting is out of range.</exception>
    /// <exception cref="InvalidDataException">A token file is malformed.</exception>
    public static TrainingReport Train(TrainingSettings settings, string trainPath, string validationPath, string? modelPath = null, ITrainingObserver? observer = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        settings.Validate();
        torch.set_num_threads(settings.Threads);
        torch.manual_seed(settings.Seed);
        int t = settings.Model.BlockSize;

        using TokenStream trainTokens = TokenStream.OpenNanoGpt(trainPath);
        using TokenStream validationTokens = TokenStream.OpenNanoGpt(validationPath);
        // Every start offset is a window; the sampler draws B * steps of them with replacement, as nanoGPT's get_batch.
        using var trainWindows = new TokenWindowDataset(trainTokens, t, stride: 1);
        var order = new RandIntSampler(trainWindows.Count, (long)settings.BatchSize * settings.Steps, settings.Seed);
        using var trainLoader = new NpyDataLoader(trainWindows, settings.BatchSize, sampler: order, drop_last: true, num_workers: 1, prefetch_factor: 4);
        // Validation: non-overlapping windows; estimates read an evenly spread subset, the final evaluation all of them.
        using var validationWindows = new TokenWindowDataset(validationTokens, t);
        long spread = Math.Min(settings.EvalWindows, validationWindows.Count);
        using var estimateSet = new Subset(validationWindows, Enumerable.Range(0, (int)spread).Select(i => i * validationWindows.Count / spread));
        using var estimateLoader = new NpyDataLoader(estimateSet, settings.EvalBatchSize, num_workers: 0);
        using var validationLoader = new NpyDataLoader(validationWindows, settings.EvalBatchSize, num_workers: 1, prefetch_factor: 2);

        using var model = new GptModel(settings.Model);
        using AdamW optimizer = CreateOptimizer(model, settings);
        Parameter[] weights = model.parameters().ToArray();
        long parameters = weights.Sum(p => p.numel());

        TimeSpan cpuStart = Process.GetCurrentProcess().TotalProcessorTime;
        var curve = new List<EvalPoint>();
        var wall = Stopwatch.StartNew();
        curve.Add(new EvalPoint(0, double.NaN, Evaluate(model, estimateLoader).NatsPerToken, 0, wall.Elapsed));
        observer?.TrainingStarted(settings.Steps);
        observer?.Evaluated(curve[0]);

        int step = 0;
        double lossSum = 0, lr = 0;
        int lossCount = 0;
        model.train();
        foreach (Dictionary<string, Tensor> batch in trainLoader)
        {
            using DisposeScope scope = torch.NewDisposeScope();
            lr = settings.LearningRateAt(step);
            foreach (ParamGroup group in optimizer.ParamGroups)
                group.LearningRate = lr;
            Tensor loss = model.Loss(batch[TokenWindowDataset.InputName], batch[TokenWindowDataset.TargetName]);
            optimizer.zero_grad();
            loss.backward();
            torch.nn.utils.clip_grad_norm_(weights, settings.GradientClip);
            optimizer.step();
            double value = loss.item<float>();
            step++;
            lossSum += value;
            lossCount++;
            observer?.StepCompleted(step, value, (double)step * settings.BatchSize * t / wall.Elapsed.TotalSeconds);
            if (step % settings.EvalInterval == 0 || step == settings.Steps)
            {
                var point = new EvalPoint(step, lossSum / lossCount, Evaluate(model, estimateLoader).NatsPerToken, lr, wall.Elapsed);
                curve.Add(point);
                observer?.Evaluated(point);
                (lossSum, lossCount) = (0, 0);
                model.train();
            }
        }
        TimeSpan trainWall = wall.Elapsed;
        var evaluation = Stopwatch.StartNew();
        (double nats, long targets, _) = Evaluate(model, validationLoader);
        evaluation.Stop();
        TimeSpan cpu = Process.GetCurrentProcess().TotalProcessorTime - cpuStart;
        if (modelPath is not null)
            model.save(modelPath);
        return new TrainingReport(curve, nats, targets, trainWall, trainLoader.WaitTime, evaluation.Elapsed, parameters, cpu);
    }

    /// <summary>The tokens predicted when a validation file is evaluated by <see cref="Train"/>: all non-overlapping windows.</summary>
    /// <param name="validationTokens">Tokens in the validation file.</param>
    /// <param name="blockSize">T.</param>
    /// <returns>Windows x T: the targets are tokens 1 to that number, each predicted from the ones before it in its window.</returns>
    public static long ValidationTargets(long validationTokens, int blockSize) => (validationTokens - 1) / blockSize * blockSize;

    // Weight decay on matrices and embeddings (2-D), none on biases and LayerNorm parameters, as GPT-2 and nanoGPT.
    private static AdamW CreateOptimizer(GptModel model, TrainingSettings settings)
    {
        Parameter[] all = model.parameters().ToArray();
        var decay = new AdamW.ParamGroup(all.Where(p => p.dim() >= 2), new AdamW.Options { weight_decay = settings.WeightDecay });
        var noDecay = new AdamW.ParamGroup(all.Where(p => p.dim() < 2), new AdamW.Options { weight_decay = 0 });
        return torch.optim.AdamW([decay, noDecay], lr: settings.LearningRate, beta1: 0.9, beta2: 0.99);
    }

    private static (double Nats, long Targets, double NatsPerToken) Evaluate(GptModel model, NpyDataLoader loader)
    {
        model.eval();
        double nats = 0;
        long targets = 0;
        using var noGrad = torch.no_grad();
        foreach (Dictionary<string, Tensor> batch in loader)
        {
            using DisposeScope scope = torch.NewDisposeScope();
            Tensor y = batch[TokenWindowDataset.TargetName];
            Tensor logits = model.call(batch[TokenWindowDataset.InputName]);
            nats += torch.nn.functional.cross_entropy(logits.view(-1, logits.shape[2]), y.view(-1), reduction: nn.Reduction.Sum).item<float>();
            targets += y.numel();
        }
        return (nats, targets, nats / Math.Max(1, targets));
    }
}
