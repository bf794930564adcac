using FashionMnist;

var s = new TrainingSettings { Epochs = int.Parse(args[0]), Width = int.Parse(args[1]), Threads = 2 };
var (files, conv) = FashionMnistData.Prepare(FashionMnistData.FindIdxFiles(FashionMnistData.DebianDirectory)!, args[2]);
var obs = new PlainObserverTmp();
var r = Trainer.Train(s, files, null, obs);
Console.WriteLine($"final {r.FinalAccuracy:P2} wall {r.Wall} wait {r.DataWaitShare:P3} params {r.Parameters}");

sealed class PlainObserverTmp : ITrainingObserver
{
    public void EpochStarted(int epoch, int epochs, long batches) { }
    public void BatchCompleted(long batch, double sps, double loss) { if (batch % 50 == 0) Console.WriteLine($"{batch} {sps:F0}/s loss {loss:F4}"); }
    public void EpochCompleted(EpochResult r) => Console.WriteLine(r);
}
