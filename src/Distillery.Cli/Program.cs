Console.WriteLine(Distillery.Probe.Run());
