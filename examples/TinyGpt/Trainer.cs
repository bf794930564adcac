using System.Diagnostics;
using TorchMmap.Data;
using TorchMmap.Format;
using TorchMmap.Storage;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace TinyGpt;

/// <summary>
/// Trains <see cref="GptModel"/> on a <see cref="TokenCorpus"/> in one of two layouts, read by <see cref="NpyDataLoader"/>:
/// token windows of the memory-mapped token file in nanoGPT's <c>get_batch</c> order (random start offsets with replacement),
/// or documents packed into sequences (<see cref="PackedDocumentDataset"/> over the Megatron indexed dataset) with attention
/// and positions kept within each document. Both layouts are evaluated on the same validation windows. Callable with small
/// settings (tests) as well as the full run (the program).
/// </summary>
public static class Trainer
{
    /// <summary>Runs training and the final evaluation.</summary>
    /// <param name="settings">The run's settings; <see cref="GptConfig.VocabularySize"/> must cover the corpus' token ids.</param>
    /// <param name="corpus">The token files: their <c>.bin</c> files read as token streams, their indexes as documents.</param>
    /// <param name="modelPath">Where to save the trained weights with TorchSharp's <c>save</c>; null to not save. With
    /// <paramref name="evaluateOnly"/>, the weights to evaluate.</param>
    /// <param name="observer">Told about progress; may be null.</param>
    /// <param name="evaluateOnly">True to load the weights at <paramref name="modelPath"/> and only run the final evaluation
    /// (nanoGPT's <c>eval_only</c>): no step is taken, nothing is saved, the curve is empty.</param>
    /// <returns>The loss curve, the final validation loss, and the times.</returns>
    /// <exception cref="ArgumentException">A token file is too short for one window.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A setting is out of range.</exception>
    /// <exception cref="InvalidDataException">A token file or index is malformed.</exception>
    /// <remarks>
    /// The validation text is cut into its non-overlapping windows of T tokens (the same T + 1 tokens as the packed layout's
    /// <see cref="PackingMode.Split"/> sequences of the validation documents). The window layout's model reads each window
    /// whole; the packed layout's model reads it as packed documents (positions restarting, attention within documents).
    /// <see cref="TrainingReport.DocumentNats"/> sums the loss of both over the same targets: every target except the first
    /// token of a document, which the packed layout never predicts.
    /// </remarks>
    public static TrainingReport Train(TrainingSettings settings, TokenCorpus corpus, string? modelPath = null, ITrainingObserver? observer = null, bool evaluateOnly = false)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(corpus);
        if (evaluateOnly && modelPath is null)
            throw new ArgumentNullException(nameof(modelPath), "Evaluating saved weights needs their path.");
        settings.Validate();
        torch.set_num_threads(settings.Threads);
        torch.manual_seed(settings.Seed);
        int t = settings.Model.BlockSize;
        bool packed = settings.Packing is not null;

        using TokenStream trainTokens = TokenStream.OpenNanoGpt(corpus.TrainPath);
        using TokenStream validationTokens = TokenStream.OpenNanoGpt(corpus.ValidationPath);
        using IndexedDataset trainDocuments = IndexedDataset.Open(corpus.TrainDocumentsPrefix, IndexedDatasetConvention.Megatron);
        using IndexedDataset validationDocuments = IndexedDataset.Open(corpus.ValidationDocumentsPrefix, IndexedDatasetConvention.Megatron);
        // Windows: every start offset is a sample; packed: every packed sequence is one. The sampler draws B * steps of them
        // with replacement, as nanoGPT's get_batch.
        IBatchDataset train = packed
            ? new PackedDocumentDataset(trainDocuments.Sequences, t, settings.Packing!.Value)
            : new TokenWindowDataset(trainTokens, t, stride: 1);
        using var trainOwner = (IDisposable)train;
        var order = new RandIntSampler(train.Count, (long)settings.BatchSize * settings.Steps, settings.Seed);
        using var trainLoader = new NpyDataLoader(train, settings.BatchSize, sampler: order, drop_last: true, num_workers: 1, prefetch_factor: 4);

        // Validation: non-overlapping windows, read both as windows and as packed documents; estimates read an evenly spread
        // subset, the final evaluation all of them.
        using var validationWindows = new TokenWindowDataset(validationTokens, t);
        using var validationSequences = new PackedDocumentDataset(validationDocuments.Sequences, t, PackingMode.Split);
        if (validationWindows.Count != validationSequences.Count)
            throw new InvalidDataException($"'{corpus.ValidationPath}' gives {validationWindows.Count} windows but its index {validationSequences.Count} packed sequences.");
        long spread = Math.Min(settings.EvalWindows, validationWindows.Count);
        long[] spreadIndices = Enumerable.Range(0, (int)spread).Select(i => i * validationWindows.Count / spread).ToArray();
        using var estimateWindows = new Subset(validationWindows, spreadIndices);
        using var estimateSequences = new Subset(validationSequences, spreadIndices);
        var estimate = new ValidationLoaders(
            new NpyDataLoader(estimateWindows, settings.EvalBatchSize, num_workers: 0),
            new NpyDataLoader(estimateSequences, settings.EvalBatchSize, num_workers: 0));
        var final = new ValidationLoaders(
            new NpyDataLoader(validationWindows, settings.EvalBatchSize, num_workers: 1, prefetch_factor: 2),
            new NpyDataLoader(validationSequences, settings.EvalBatchSize, num_workers: 1, prefetch_factor: 2));
        using (estimate)
        using (final)
        {
            using var model = new GptModel(settings.Model);
            using AdamW optimizer = CreateOptimizer(model, settings);
            Parameter[] weights = model.parameters().ToArray();
            long parameters = weights.Sum(p => p.numel());
            if (evaluateOnly)
                model.load(modelPath!);

            TimeSpan cpuStart = Process.GetCurrentProcess().TotalProcessorTime;
            var curve = new List<EvalPoint>();
            var wall = Stopwatch.StartNew();
            if (!evaluateOnly)
                Fit(model, optimizer, weights, trainLoader, estimate, packed, settings, curve, wall, observer);
            TimeSpan trainWall = wall.Elapsed;
            var evaluation = Stopwatch.StartNew();
            (Loss own, Loss inDocuments) = Evaluate(model, final, packed);
            evaluation.Stop();
            TimeSpan cpu = Process.GetCurrentProcess().TotalProcessorTime - cpuStart;
            if (modelPath is not null && !evaluateOnly)
                model.save(modelPath);
            return new TrainingReport(curve, own.Nats, own.Targets, trainWall, trainLoader.WaitTime, evaluation.Elapsed, parameters, cpu)
            {
                DocumentNats = inDocuments.Nats,
                DocumentTargets = inDocuments.Targets,
            };
        }
    }

    // The training loop, with an estimate before the first step and every EvalInterval steps.
    private static void Fit(GptModel model, AdamW optimizer, Parameter[] weights, NpyDataLoader trainLoader, ValidationLoaders estimate, bool packed,
        TrainingSettings settings, List<EvalPoint> curve, Stopwatch wall, ITrainingObserver? observer)
    {
        int t = settings.Model.BlockSize;
        curve.Add(new EvalPoint(0, double.NaN, Evaluate(model, estimate, packed).Own.NatsPerToken, 0, wall.Elapsed));
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
            // Packed: y holds -100 where a document ends, which cross_entropy ignores.
            Tensor loss = packed
                ? model.Loss(batch[DocumentBatchNames.Input], batch[DocumentBatchNames.Target], batch[DocumentBatchNames.PositionIds], DocumentMasks.Causal(batch[DocumentBatchNames.CuSeqlens]))
                : model.Loss(batch[TokenWindowDataset.InputName], batch[TokenWindowDataset.TargetName]);
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
                var point = new EvalPoint(step, lossSum / lossCount, Evaluate(model, estimate, packed).Own.NatsPerToken, lr, wall.Elapsed);
                curve.Add(point);
                observer?.Evaluated(point);
                (lossSum, lossCount) = (0, 0);
                model.train();
            }
        }
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

    // Reads the validation windows and the same tokens as packed sequences in step. Own: the loss over the targets the
    // layout trains (all of them for windows, those inside documents for packed); InDocuments: over the targets inside
    // documents, for either layout.
    private static (Loss Own, Loss InDocuments) Evaluate(GptModel model, ValidationLoaders loaders, bool packed)
    {
        model.eval();
        double all = 0, inDocuments = 0;
        long allTargets = 0, documentTargets = 0;
        using var noGrad = torch.no_grad();
        using IEnumerator<Dictionary<string, Tensor>> sequences = loaders.Sequences.GetEnumerator();
        foreach (Dictionary<string, Tensor> window in loaders.Windows)
        {
            if (!sequences.MoveNext())
                throw new InvalidOperationException("The packed validation sequences ended before the windows.");
            Dictionary<string, Tensor> sequence = sequences.Current;
            using DisposeScope scope = torch.NewDisposeScope();
            Tensor y = window[TokenWindowDataset.TargetName];
            Tensor logits = packed
                ? model.forward(sequence[DocumentBatchNames.Input], sequence[DocumentBatchNames.PositionIds], DocumentMasks.Causal(sequence[DocumentBatchNames.CuSeqlens]))
                : model.call(window[TokenWindowDataset.InputName]);
            Tensor nats = torch.nn.functional.cross_entropy(logits.view(-1, logits.shape[2]), y.view(-1), reduction: nn.Reduction.None);
            Tensor inside = sequence[DocumentBatchNames.LossMask].view(-1);
            all += nats.sum().item<float>();
            allTargets += y.numel();
            inDocuments += (nats * inside).sum().item<float>();
            documentTargets += (long)inside.sum().item<float>();
        }
        var documents = new Loss(inDocuments, documentTargets);
        return (packed ? documents : new Loss(all, allTargets), documents);
    }

    private readonly record struct Loss(double Nats, long Targets)
    {
        public double NatsPerToken => Nats / Math.Max(1, Targets);
    }

    // The validation data read as windows and as packed sequences, the same samples in the same order.
    private sealed record ValidationLoaders(NpyDataLoader Windows, NpyDataLoader Sequences) : IDisposable
    {
        public void Dispose()
        {
            Windows.Dispose();
            Sequences.Dispose();
        }
    }
}
