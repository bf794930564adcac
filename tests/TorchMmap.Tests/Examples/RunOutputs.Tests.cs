using FashionMnist;

namespace TorchMmap.Tests.Examples;

public sealed class RunOutputsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("torchmmap-outputs-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void WriteReport_FinishedRun_WritesPngChartsAndCsvs()
    {
        var confusion = new ConfusionMatrix(10);
        confusion.Add([0, 1, 2, 3, 9, 9], [0, 1, 2, 4, 9, 7]);
        EpochResult[] epochs =
        [
            new(1, 0.9, 0.7, 0.6, 0.8, TimeSpan.FromSeconds(10), 2.3, 0.7),
            new(2, 0.5, 0.85, 0.4, 0.9, TimeSpan.FromSeconds(11), 0.6, 0.45),
        ];
        var report = new TrainingReport(epochs, confusion, TimeSpan.FromSeconds(21), TimeSpan.FromSeconds(0.01), 1234, TimeSpan.FromSeconds(40));
        var outputs = new RunOutputs(Path.Combine(_dir, "run"));

        outputs.WriteReport(report);

        byte[] signature = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];
        Assert.Equal(signature, File.ReadAllBytes(outputs.Curves)[..8]);
        Assert.Equal(signature, File.ReadAllBytes(outputs.ConfusionChart)[..8]);
        string[] metrics = File.ReadAllLines(outputs.MetricsCsv);
        Assert.Equal("epoch,train_loss,train_accuracy,test_loss,test_accuracy,seconds", metrics[0]);
        Assert.Equal("2,0.500000,0.850000,0.400000,0.900000,11.00", metrics[2]);
        string[] rows = File.ReadAllLines(outputs.ConfusionCsv);
        Assert.Equal(11, rows.Length);
        Assert.Equal("Ankle boot,0,0,0,0,0,0,0,1,0,1", rows[10]);
        Assert.Equal(0.01 / 21, report.DataWaitShare, 9);
    }
}
