using System.Diagnostics;
using TorchMmap.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace FashionMnist;

/// <summary>
/// Trains <see cref="FashionCnn"/> on memory-mapped .npy files with <see cref="NpyDataLoader"/>, evaluating on the test
/// set after every epoch. Callable with small settings (tests) as well as the full run (the program).
/// </summary>
public static class Trainer
{
    /// <summary>Runs training and evaluation.</summary>
    /// <param name="settings">The run's settings.</param>
    /// <param name="files">The .npy files to read.</param>
    /// <param name="modelPath">Where to save the trained weights with TorchSharp's <c>save</c>; null to not save.</param>
    /// <param name="observer">Told about progress; may be null.</param>
    /// <returns>Per-epoch results, the final confusion matrix, and the wall and data-wait times.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="settings"/> or <paramref name="files"/> is null.</exception>
    /// <exception cref="InvalidDataException">A data file is malformed.</exception>
    public static TrainingReport Train(TrainingSettings settings, DatasetFiles files, string? modelPath = null, ITrainingObserver? observer = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(files);
        torch.set_num_threads(settings.Threads);
        torch.manual_seed(settings.Seed);
        var conversion = BatchConversion.ToFloat32(1 / 255.0, [settings.PixelMean], [settings.PixelStd]);

        using NpyMmapDataset train = NpyMmapDataset.Open(("image", files.TrainImages), ("label", files.TrainLabels));
        using NpyMmapDataset test = NpyMmapDataset.Open(("image", files.TestImages), ("label", files.TestLabels));
        train.SetConversion("image", conversion);
        test.SetConversion("image", conversion);
        // One worker thread keeps a few converted batches ready while the step runs; the test set is read in order.
        using var trainLoader = new NpyDataLoader(train, settings.BatchSize, shuffle: true, seed: settings.Seed, drop_last: true, num_workers: 1, prefetch_factor: 4);
        using var testLoader = new NpyDataLoader(test, settings.EvalBatchSize, num_workers: 1, prefetch_factor: 2);

        using var model = new FashionCnn(settings.Width, settings.Classes);
        using var optimizer = torch.optim.AdamW(model.parameters(), lr: settings.MaxLearningRate, weight_decay: settings.WeightDecay);
        int steps = checked((int)(settings.Epochs * trainLoader.Count));
        var schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, settings.MaxLearningRate, total_steps: Math.Max(1, steps));
        double padValue = (0 - settings.PixelMean) / settings.PixelStd;
        using var augmentation = new BatchAugmentation(settings.Seed, settings.Flip, settings.CropPadding, padValue);

        var results = new List<EpochResult>();
        var confusion = new ConfusionMatrix(settings.Classes);
        TimeSpan cpuStart = Process.GetCurrentProcess().TotalProcessorTime;
        var wall = Stopwatch.StartNew();
        for (int epoch = 1; epoch <= settings.Epochs; epoch++)
        {
            var clock = Stopwatch.StartNew();
            observer?.EpochStarted(epoch, settings.Epochs, trainLoader.Count);
            (double trainLoss, double trainAccuracy, double firstLoss, double lastLoss) = TrainEpoch(model, optimizer, schedule, augmentation, trainLoader, settings, observer);
            (double testLoss, confusion) = Evaluate(model, testLoader, settings.Classes);
            var result = new EpochResult(epoch, trainLoss, trainAccuracy, testLoss, confusion.Accuracy(), clock.Elapsed, firstLoss, lastLoss);
            results.Add(result);
            observer?.EpochCompleted(result);
        }
        wall.Stop();
        TimeSpan cpu = Process.GetCurrentProcess().TotalProcessorTime - cpuStart;
        if (modelPath is not null)
            model.save(modelPath);
        return new TrainingReport(results, confusion, wall.Elapsed, trainLoader.WaitTime + testLoader.WaitTime, model.ParameterCount(), cpu);
    }

    private static (double Loss, double Accuracy, double FirstLoss, double LastLoss) TrainEpoch(
        FashionCnn model, optim.Optimizer optimizer, optim.lr_scheduler.LRScheduler schedule, BatchAugmentation augmentation,
        NpyDataLoader loader, TrainingSettings settings, ITrainingObserver? observer)
    {
        model.train();
        double lossSum = 0, firstLoss = double.NaN, tailSum = 0;
        long samples = 0, correct = 0, batch = 0, tailCount = 0;
        long tailStart = loader.Count - Math.Max(1, loader.Count / 10);
        var clock = Stopwatch.StartNew();
        foreach (Dictionary<string, Tensor> data in loader)
        {
            using DisposeScope scope = torch.NewDisposeScope();
            Tensor images = augmentation.Apply(data["image"]);
            Tensor labels = data["label"];
            Tensor logits = model.call(images);
            Tensor loss = torch.nn.functional.cross_entropy(logits, labels, label_smoothing: settings.LabelSmoothing);
            optimizer.zero_grad();
            loss.backward();
            optimizer.step();
            schedule.step();

            double value = loss.item<float>();
            long n = labels.shape[0];
            lossSum += value * n;
            samples += n;
            correct += logits.argmax(1).eq(labels).sum().item<long>();
            if (batch == 0)
                firstLoss = value;
            if (batch >= tailStart)
            {
                tailSum += value;
                tailCount++;
            }
            batch++;
            observer?.BatchCompleted(batch, samples / clock.Elapsed.TotalSeconds, lossSum / samples);
        }
        return (lossSum / Math.Max(1, samples), (double)correct / Math.Max(1, samples), firstLoss, tailSum / Math.Max(1, tailCount));
    }

    private static (double Loss, ConfusionMatrix Confusion) Evaluate(FashionCnn model, NpyDataLoader loader, int classes)
    {
        model.eval();
        var confusion = new ConfusionMatrix(classes);
        double lossSum = 0;
        using var noGrad = torch.no_grad();
        foreach (Dictionary<string, Tensor> data in loader)
        {
            using DisposeScope scope = torch.NewDisposeScope();
            Tensor labels = data["label"];
            Tensor logits = model.call(data["image"]);
            lossSum += torch.nn.functional.cross_entropy(logits, labels, reduction: nn.Reduction.Sum).item<float>();
            confusion.Add(labels.data<long>().ToArray(), logits.argmax(1).data<long>().ToArray());
        }
        return (lossSum / Math.Max(1, confusion.Total), confusion);
    }
}
