// Most tests run one at a time (NUnit's default): they share this process's libtorch thread count and global generator,
// and several read the machine's load. A few fixtures only wait on other processes and assert nothing about time or
// load: the MNIST regressions (each run a one-thread child), bench (one thread), and the builds and runs of projects
// against the packed packages. They are marked [Parallelizable(ParallelScope.Self)] and run side by side, filling both
// cores where one at a time left one idle in every restore and build. NUnit never runs them beside an unmarked fixture,
// so the tests that need a quiet machine still get one. A fixture marked so must not use libtorch in this process. The
// Slurm sweeps wait on processes too but stay alone: their requeue is timed against a task's checkpoint, and beside
// this load the requeued task once never ran again. The two setup fixtures above the marked fixtures (PackedPackages,
// ExperimentLstm) are marked too: unmarked, a setup fixture runs its namespace's fixtures apart from every other
// namespace's. Enough workers that every marked fixture starts at once, the LSTM regression (the longest) first.

[assembly: LevelOfParallelism(8)]
