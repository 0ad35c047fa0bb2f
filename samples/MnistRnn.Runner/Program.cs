return await MnistRnn.Runner.RunnerApp.RunAsync(args, Console.Out, Console.Error);
