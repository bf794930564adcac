// Snippets run with the fixture folder as the current directory, which is process-wide: one at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
