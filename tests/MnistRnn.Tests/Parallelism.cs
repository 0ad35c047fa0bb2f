// Most tests run one at a time (NUnit's default): they share this process's libtorch thread count and global generator,
// and several read the machine's load. Some fixtures mostly wait on other processes and assert nothing about time or
// load: the MNIST regressions (each run a one-thread child), bench (one thread), the builds and runs of projects against
// the packed packages, the sweeps (each trial a worker process) and the PyTorch interop (Python processes). They are
// marked [Parallelizable(ParallelScope.Self)] and run side by side, filling both cores where one at a time left one idle
// in every restore, build and child process. NUnit never runs them beside an unmarked fixture, so the tests that need a
// quiet machine still get one. Of the marked fixtures, those that also use libtorch in this process (the sweeps called
// through RunnerApp, the interop's training) carry [TakesTurnsInThisProcess] and run one at a time. The Slurm sweeps
// wait on processes too but stay alone: their requeue is timed against a task's checkpoint, and beside this load the
// requeued task once never ran again. The two setup fixtures above the marked fixtures (PackedPackages, ExperimentLstm)
// are marked too: unmarked, a setup fixture runs its namespace's fixtures apart from every other namespace's. Enough
// workers that every marked fixture and regression case starts at once (a worker waiting for its turn holds a thread,
// nothing more), the LSTM regression (the longest) first.

[assembly: LevelOfParallelism(24)]
