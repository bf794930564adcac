using System.Diagnostics;
using System.Globalization;
using Spectre.Console;
using TinyGpt;
using TorchMmap.Data;
using TorchMmap.Format;
using TorchMmap.Storage;
using TorchSharp;

// Exit codes: 0 done, 1 failed (bad data files), 2 usage error, 3 text not found.
ProgramOptions? options;
try
{
    options = ProgramOptions.Parse(args);
}
catch (UsageException e)
{
    Console.Error.WriteLine($"error: {e.Message}");
    Console.Error.WriteLine(ProgramOptions.HelpText);
    return 2;
}
if (options is null)
{
    Console.WriteLine(ProgramOptions.HelpText);
    return 0;
}

// Before libtorch allocates anything: keep the memory each training step frees for the next step, instead of giving it
// back to the kernel and faulting it in again.
if (options.RetainFreedMemory)
    TorchMmap.Runtime.NativeHeap.RetainFreedMemory();

var inv = CultureInfo.InvariantCulture;
var total = Stopwatch.StartNew();
string? text = options.TextPath is null ? BibleText.Read() : File.Exists(options.TextPath) ? File.ReadAllText(options.TextPath) : null;
if (text is null)
{
    Console.Error.WriteLine(options.TextPath is null ? BibleText.MissingMessage : $"error: the text file '{options.TextPath}' does not exist.");
    return 3;
}

var outputs = new RunOutputs(Path.GetFullPath(options.OutputDirectory));
try
{
    var clock = Stopwatch.StartNew();
    TokenCorpus corpus = TokenCorpus.Prepare(text, outputs.DataDirectory(options.Tokenizer), options.Tokenizer);
    Console.WriteLine(string.Create(inv,
        $"{(corpus.Written ? "Tokenized" : "Reusing")} {text.Length:N0} characters ({options.Tokenizer.ToString().ToLowerInvariant()}, V = {corpus.Tokenizer.VocabularySize:N0}): {corpus.TrainTokens:N0} training and {corpus.ValidationTokens:N0} validation tokens (last {corpus.ValidationFraction:P0} of the text) in {corpus.TrainDocuments:N0} and {corpus.ValidationDocuments:N0} documents, Megatron indexed datasets in {Path.GetDirectoryName(corpus.TrainPath)}, {clock.Elapsed.TotalSeconds:F1} s"));

    // The prompt is encoded before training, so one the vocabulary cannot spell fails now rather than after the run.
    long[] prompt;
    try
    {
        prompt = corpus.Tokenizer.Encode(options.Sample.Prompt).Select(t => (long)t).ToArray();
    }
    catch (ArgumentException e)
    {
        Console.Error.WriteLine($"error: the prompt cannot be encoded: {e.Message}");
        return 2;
    }

    TrainingSettings settings = options.Settings with { Model = options.Settings.Model with { VocabularySize = corpus.Tokenizer.VocabularySize } };
    GptConfig m = settings.Model;
    long targets = Trainer.ValidationTargets(corpus.ValidationTokens, m.BlockSize);
    long targetCharacters, documentCharacters;
    double bigramNats;
    clock.Restart();
    using (TokenStream train = TokenStream.OpenNanoGpt(corpus.TrainPath))
    using (TokenStream validation = TokenStream.OpenNanoGpt(corpus.ValidationPath))
    {
        BigramModel bigram = BigramModel.Fit(train, corpus.Tokenizer.VocabularySize);
        bigramNats = bigram.Loss(validation, 0, targets).Nats;
        // The characters the predicted tokens spell: the denominator of the loss per character, the same for both models.
        targetCharacters = corpus.Tokenizer.Decode(validation.Read(1, checked((int)targets))).Length;
        // Within documents: the same targets but the first token of each validation document (the first one's is never a target).
        documentCharacters = targetCharacters;
        using IndexedDataset documents = IndexedDataset.Open(corpus.ValidationDocumentsPrefix, IndexedDatasetConvention.Megatron);
        for (long d = 0, start = 0; d < documents.Sequences.Count && start <= targets; start += documents.Sequences.LengthOf(d++))
        {
            if (start >= 1)
                documentCharacters -= corpus.Tokenizer.Decode(validation.Read(start, 1)).Length;
        }
        Console.WriteLine(string.Create(inv,
            $"Bigram baseline (add-{bigram.Smoothing} smoothing, {bigram.DistinctPairs:N0} pairs): validation {bigramNats / targets:F4} nats/token, {bigramNats / targetCharacters:F4} nats/char ({clock.Elapsed.TotalSeconds:F1} s)"));
    }

    string layout = settings.Packing is PackingMode packing ? $"documents packed into sequences ({packing.ToString().ToLowerInvariant()})" : "token windows";
    Console.WriteLine(string.Create(inv,
        $"{(options.EvaluateOnly ? $"Evaluating the saved weights {outputs.Model} of a" : "Training a")} GPT ({m.Layers} layers, {m.Heads} heads, width {m.Embedding}, context {m.BlockSize}) on {layout} for {settings.Steps} steps of {settings.BatchSize} sequences, seed {settings.Seed}, {settings.Threads} threads, AdamW lr {settings.LearningRate} (warm-up {settings.WarmupSteps}, cosine to {settings.MinLearningRate})"));
    if (options.EvaluateOnly && !File.Exists(outputs.Model))
    {
        Console.Error.WriteLine($"error: --eval-only evaluates the weights of an earlier run, but '{outputs.Model}' does not exist.");
        return 2;
    }
    bool live = !options.EvaluateOnly && !Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Interactive;
    TrainingReport report;
    if (live)
    {
        TrainingReport? result = null;
        AnsiConsole.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
            .Start(context => result = Trainer.Train(settings, corpus, outputs.Model, new LiveProgressObserver(context)));
        report = result!;
        foreach (EvalPoint point in report.Curve)
            Console.WriteLine(string.Create(inv, $"  step {point.Step,5}  train {point.TrainLoss:F4}  val {point.ValidationLoss:F4}"));
    }
    else
    {
        report = Trainer.Train(settings, corpus, outputs.Model, new PlainProgressObserver(Console.Out), options.EvaluateOnly);
    }

    // The sample comes from the saved weights, so it also shows they load.
    SampleSettings s = options.Sample;
    string sample;
    using (var model = new GptModel(m))
    using (var generator = new torch.Generator(unchecked((ulong)s.Seed)))
    {
        model.load(outputs.Model);
        sample = corpus.Tokenizer.Decode(model.Generate(prompt, s.Tokens, s.Temperature, s.TopK, generator));
    }
    if (!options.EvaluateOnly)
        outputs.Write(report, bigramNats / targets, corpus.Tokenizer.VocabularySize, sample);
    total.Stop();

    Console.WriteLine();
    Console.WriteLine(string.Create(inv, $"Validation loss over {targets:N0} tokens ({targetCharacters:N0} characters) of the held-out text:"));
    if (settings.Packing is null)
        Console.WriteLine(string.Create(inv, $"  GPT     {report.ValidationLossPerToken:F4} nats/token  {report.ValidationNats / targetCharacters:F4} nats/char  ({report.Parameters:N0} parameters)"));
    Console.WriteLine(string.Create(inv, $"  bigram  {bigramNats / targets:F4} nats/token  {bigramNats / targetCharacters:F4} nats/char"));
    Console.WriteLine(string.Create(inv, $"  uniform {Math.Log(corpus.Tokenizer.VocabularySize):F4} nats/token"));
    Console.WriteLine(string.Create(inv, $"Within documents, the targets both layouts predict ({report.DocumentTargets:N0} tokens, {documentCharacters:N0} characters: all but the first token of each validation document):"));
    Console.WriteLine(string.Create(inv, $"  GPT     {report.DocumentLossPerToken:F4} nats/token  {report.DocumentNats / documentCharacters:F4} nats/char  ({report.Parameters:N0} parameters, trained on {layout})"));
    Console.WriteLine(string.Create(inv, $"Training loop: {report.TrainWall.TotalSeconds:F1} s, waiting for data {report.DataWait.TotalSeconds:F2} s ({report.DataWaitShare:P3}); final evaluation {report.EvaluationWall.TotalSeconds:F1} s"));
    Console.WriteLine(string.Create(inv, $"Processor time of training and evaluation: {report.CpuTime.TotalSeconds:F1} s on {Environment.ProcessorCount} cores"));
    long? peak = ProcessMemory.PeakResidentBytes();
    Console.WriteLine(string.Create(inv, $"Wall time: {total.Elapsed.TotalSeconds:F1} s in all; peak resident memory {(peak is long p ? $"{p / 1048576.0:F0} MiB" : "unknown")}"));
    if (!options.EvaluateOnly)
        Console.WriteLine($"Wrote {outputs.Model}, {outputs.LossCurve}, {outputs.MetricsCsv}, {outputs.Sample}");
    Console.WriteLine();
    Console.WriteLine($"Sample (seed {s.Seed}, temperature {s.Temperature.ToString(inv)}, top-{s.TopK}):");
    Console.WriteLine(sample);
    return 0;
}
catch (InvalidDataException e)
{
    Console.Error.WriteLine($"error: {e.Message}");
    return 1;
}
