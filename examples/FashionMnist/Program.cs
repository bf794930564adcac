using System.Globalization;
using FashionMnist;
using Spectre.Console;
using TorchSharp;

// Exit codes: 0 done, 1 failed (bad data files), 2 usage error, 3 data not found.
ProgramOptions? options;
try
{
    options = ProgramOptions.Parse(args);
}
catch (UsageException e)
{
    Console.Error.WriteLine($"error: {e.Reason}");
    Console.Error.WriteLine(ProgramOptions.HelpText);
    return 2;
}
if (options is null)
{
    Console.WriteLine(ProgramOptions.HelpText);
    return 0;
}

// Before libtorch allocates anything: keep the memory each training step frees for the next step, instead of giving it
// back to the kernel and faulting it in again (a quarter of the processor time went to the kernel without this).
if (options.RetainFreedMemory)
    TorchMmap.Runtime.NativeHeap.RetainFreedMemory();

string[]? idx = FashionMnistData.FindIdxFiles(options.DataDirectory);
if (idx is null)
{
    Console.Error.WriteLine(FashionMnistData.MissingMessage(options.DataDirectory));
    return 3;
}

bool live = !Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Interactive;
var outputs = new RunOutputs(Path.GetFullPath(options.OutputDirectory));
TrainingSettings settings = options.Settings;
try
{
    var conversionClock = System.Diagnostics.Stopwatch.StartNew();
    DatasetFiles files = PrepareData(idx, outputs, live);
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Data ready in {conversionClock.Elapsed.TotalSeconds:F1} s"));
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"Training a CNN (width {settings.Width}) for {settings.Epochs} epochs, batch {settings.BatchSize}, seed {settings.Seed}, {settings.Threads} threads, AdamW one-cycle to lr {settings.MaxLearningRate}, augmentation: {(settings.Flip ? "flip " : "")}{(settings.CropPadding > 0 ? $"crop(pad {settings.CropPadding})" : "")}"));
    TrainingReport report;
    if (live)
    {
        TrainingReport? result = null;
        AnsiConsole.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
            .Start(context => result = Trainer.Train(settings, files, outputs.Model, new LiveProgressObserver(context)));
        report = result!;
    }
    else
    {
        report = Trainer.Train(settings, files, outputs.Model, new PlainProgressObserver(Console.Out));
    }
    outputs.WriteReport(report);
    PrintSummary(report, outputs);
    return 0;
}
catch (InvalidDataException e)
{
    Console.Error.WriteLine($"error: {e.Message}");
    return 1;
}

static DatasetFiles PrepareData(string[] idx, RunOutputs outputs, bool live)
{
    if (!live)
    {
        int lastTenth = -1;
        string lastName = "";
        (DatasetFiles plainFiles, bool converted) = FashionMnistData.Prepare(idx, outputs.NpyDirectory, (name, done, total) =>
        {
            int tenth = (int)(10 * done / Math.Max(1, total));
            if (name != lastName || tenth != lastTenth)
                Console.WriteLine($"converting {name}: {done}/{total} rows");
            (lastName, lastTenth) = (name, tenth);
        });
        Console.WriteLine(converted ? $"Converted the IDX files to .npy in {outputs.NpyDirectory}" : $"Using the .npy files in {outputs.NpyDirectory}");
        return plainFiles;
    }
    DatasetFiles? files = null;
    bool any = false;
    AnsiConsole.Progress()
        .AutoClear(false)
        .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn())
        .Start(context =>
        {
            var tasks = new Dictionary<string, ProgressTask>();
            (files, any) = FashionMnistData.Prepare(idx, outputs.NpyDirectory, (name, done, total) =>
            {
                if (!tasks.TryGetValue(name, out ProgressTask? task))
                    tasks[name] = task = context.AddTask($"converting {name}", maxValue: Math.Max(1, total));
                task.Value = done;
            });
        });
    Console.WriteLine(any ? $"Converted the IDX files to .npy in {outputs.NpyDirectory}" : $"Using the .npy files in {outputs.NpyDirectory}");
    return files!;
}

static void PrintSummary(TrainingReport report, RunOutputs outputs)
{
    var inv = CultureInfo.InvariantCulture;
    Console.WriteLine();
    Console.WriteLine(string.Create(inv, $"Final test accuracy: {report.FinalAccuracy:P2} ({report.Parameters:N0} parameters)"));
    Console.WriteLine("Per-class accuracy:");
    for (int c = 0; c < report.Confusion.Classes; c++)
        Console.WriteLine(string.Create(inv, $"  {FashionClasses.NameOf(c),-12} {report.Confusion.ClassAccuracy(c):P1}"));
    double epochSeconds = report.Epochs.Count == 0 ? 0 : report.Epochs.Average(e => e.Duration.TotalSeconds);
    Console.WriteLine(string.Create(inv, $"Wall time: {report.Wall.TotalSeconds:F1} s ({epochSeconds:F1} s per epoch, evaluation included)"));
    Console.WriteLine(string.Create(inv, $"Processor time: {report.CpuTime.TotalSeconds:F1} s on {Environment.ProcessorCount} cores ({report.CpuTime / report.Wall:F2} cores busy on average)"));
    Console.WriteLine(string.Create(inv, $"Waiting for data: {report.DataWait.TotalSeconds:F2} s, {report.DataWaitShare:P3} of the wall time"));
    Console.WriteLine($"Wrote {outputs.Model}, {outputs.Curves}, {outputs.ConfusionChart}, {outputs.ConfusionCsv}, {outputs.MetricsCsv}");
}
