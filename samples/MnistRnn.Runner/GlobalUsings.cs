// What every command stands on: its options, its output, its files and its platform.
global using MnistRnn.Runner.FileSystem;
global using MnistRnn.Runner.Options;
global using MnistRnn.Runner.Output;
global using MnistRnn.Runner.Platform;
