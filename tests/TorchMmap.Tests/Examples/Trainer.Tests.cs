using FashionMnist;
using TorchMmap.Tests.TestUtilities;

namespace TorchMmap.Tests.Examples;

// The trainer seeds libtorch's global generator and sets its thread count.
[Collection(TorchGlobalStateCollection.Name)]
public sealed class TrainerTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("torchmmap-example-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    // A reduced run: 2,000 images, one epoch, a narrow network; seconds, not minutes.
    private static TrainingSettings Small => new()
    {
        Epochs = 1,
        BatchSize = 50,
        Width = 8,
        Threads = 2,
        Seed = 3,
        Classes = 10,
        EvalBatchSize = 250,
    };

    [Fact]
    public void Train_LearnableImagesOneEpoch_LossFallsAndAccuracyBeatsChanceWidely()
    {
        DatasetFiles files = SyntheticImages.Write(_dir, train: 2000, test: 500, seed: 11);
        string model = Path.Combine(_dir, "model.bin");

        TrainingReport report = Trainer.Train(Small, files, model);

        EpochResult epoch = Assert.Single(report.Epochs);
        Assert.True(epoch.LastBatchesLoss < 0.5 * epoch.FirstBatchLoss, $"loss went from {epoch.FirstBatchLoss} to {epoch.LastBatchesLoss}");
        // Five classes: chance is 20 %.
        Assert.True(epoch.TestAccuracy > 0.8, $"test accuracy {epoch.TestAccuracy}");
        Assert.Equal(500, report.Confusion.Total);
        Assert.Equal(epoch.TestAccuracy, report.Confusion.Accuracy());
        Assert.InRange(report.DataWaitShare, 0, 1);
        Assert.True(new FileInfo(model).Length > 4 * report.Parameters, "the saved model holds every float32 parameter");
    }

    [Fact]
    public void Train_SameSeedTwice_GivesTheSameResult()
    {
        DatasetFiles files = SyntheticImages.Write(_dir, train: 400, test: 100, seed: 12);
        TrainingSettings settings = Small with { BatchSize = 40 };

        TrainingReport first = Trainer.Train(settings, files);
        TrainingReport second = Trainer.Train(settings, files);
        TrainingReport other = Trainer.Train(settings with { Seed = 4 }, files);

        Assert.Equal(first.Epochs[0].TrainLoss, second.Epochs[0].TrainLoss);
        Assert.Equal(first.Epochs[0].TestLoss, second.Epochs[0].TestLoss);
        Assert.NotEqual(first.Epochs[0].TrainLoss, other.Epochs[0].TrainLoss);
    }

    [Fact]
    public void Train_Observer_HearsEveryBatchAndEpoch()
    {
        DatasetFiles files = SyntheticImages.Write(_dir, train: 300, test: 60, seed: 13);
        var observer = new RecordingObserver();

        Trainer.Train(Small with { Epochs = 2, BatchSize = 100 }, files, observer: observer);

        Assert.Equal([(1, 2, 3L), (2, 2, 3L)], observer.Started);
        Assert.Equal([1L, 2, 3, 1, 2, 3], observer.Batches);
        Assert.Equal([1, 2], observer.Completed);
    }

    private sealed class RecordingObserver : ITrainingObserver
    {
        public List<(int, int, long)> Started { get; } = [];

        public List<long> Batches { get; } = [];

        public List<int> Completed { get; } = [];

        public void EpochStarted(int epoch, int epochs, long batches) => Started.Add((epoch, epochs, batches));

        public void BatchCompleted(long batch, double samplesPerSecond, double meanLoss) => Batches.Add(batch);

        public void EpochCompleted(EpochResult result) => Completed.Add(result.Epoch);
    }
}
