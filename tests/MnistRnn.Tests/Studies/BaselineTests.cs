using MnistRnn.NUnit;
using MnistRnn.Studies;
using MnistRnn.Tests.Support;

namespace MnistRnn.Tests.Studies;

/// <summary>Seed studies and baselines as a user's regression test meets them: the core, and the NUnit constraint over it.</summary>
[Category("Unit")]
[NonParallelizable]
public sealed class BaselineTests
{
    private TempFolder _folder = null!;

    [SetUp]
    public void SetUp() => _folder = new TempFolder();

    [TearDown]
    public void TearDown() => _folder.Dispose();

    private static ScoreDistribution Scores(params double[] values) =>
        new([.. values.Select((v, i) => new SeedScore(i + 1, v))], 1, "test machine");

    [Test]
    public void A_study_calls_the_training_once_per_seed_at_fixed_threads_and_restores_the_thread_count()
    {
        int before = TorchSharp.torch.get_num_threads();
        var threadsSeen = new List<int>();

        var distribution = SeedStudy.Run(seed =>
        {
            threadsSeen.Add(TorchSharp.torch.get_num_threads());
            return seed / 10.0;
        }, [3, 1, 2], threads: 1);

        Assert.That(distribution.Scores.Select(s => (s.Seed, s.Value)), Is.EqualTo(new[] { (3L, 0.3), (1L, 0.1), (2L, 0.2) }));
        Assert.That(threadsSeen, Is.All.EqualTo(1));
        Assert.That(TorchSharp.torch.get_num_threads(), Is.EqualTo(before));
        Assert.That((distribution.Median, distribution.Min, distribution.Max, distribution.Threads), Is.EqualTo((0.2, 0.1, 0.3, 1)));
        Assert.That(distribution.Machine, Does.Contain("logical cores"));
    }

    [Test]
    public void A_study_refuses_what_cannot_be_a_distribution()
    {
        Assert.Throws<ArgumentException>(() => SeedStudy.Run(_ => 1, []));
        Assert.Throws<ArgumentException>(() => SeedStudy.Run(_ => 1, [1, 1]));
        Assert.Throws<ArgumentOutOfRangeException>(() => SeedStudy.Run(_ => 1, [1], threads: 0));
        Assert.That(Assert.Throws<ArgumentException>(() => SeedStudy.Run(_ => double.NaN, [4]))!.Message, Does.Contain("seed 4 is NaN"));
    }

    [Test]
    public void Without_a_baseline_the_check_fails_and_writes_the_received_file_which_a_rename_accepts()
    {
        string baseline = _folder.File("gru.baseline.json");

        var missing = Baseline.Check(Scores(0.95, 0.96, 0.97), baseline, accept: false);
        File.Move(missing.ReceivedPath!, baseline);
        var matched = Baseline.Check(Scores(0.951, 0.961, 0.969), baseline, accept: false);

        Assert.That((missing.Outcome, missing.Passed), Is.EqualTo((BaselineOutcome.Missing, false)));
        Assert.That(missing.ReceivedPath, Is.EqualTo(_folder.File("gru.received.json")));
        Assert.That(missing.Message, Does.Contain($"rename {_folder.File("gru.received.json")} to {baseline}"));
        Assert.That((matched.Outcome, matched.Passed), Is.EqualTo((BaselineOutcome.Matched, true)));
        Assert.That(File.Exists(_folder.File("gru.received.json")), Is.False);
    }

    [Test]
    public void The_tolerance_is_the_baselines_range_so_rounding_passes_and_a_real_drop_fails_with_both_distributions_shown()
    {
        string baseline = _folder.File("m.baseline.json");
        BaselineFile.Write(Scores(0.980, 0.984, 0.986), baseline);

        var rounding = Baseline.Check(Scores(0.9785, 0.979, 0.983), baseline, accept: false);
        var regression = Baseline.Check(Scores(0.970, 0.975, 0.977), baseline, accept: false);

        Assert.That(rounding.Outcome, Is.EqualTo(BaselineOutcome.Matched));
        Assert.That(rounding.Tolerance, Is.EqualTo(0.006).Within(1e-12));
        Assert.That(regression.Outcome, Is.EqualTo(BaselineOutcome.Regressed));
        Assert.That(regression.Message, Does.StartWith("Regressed: the median is 0.0090 below the baseline's, more than the tolerance 0.0060."));
        Assert.That(regression.Message, Does.Contain("  median  0.9840               0.9750\n").And.Contain("  seed 2  0.9840               0.9750\n").And.Contain("baseline machine: test machine"));
        Assert.That(BaselineFile.Read(regression.ReceivedPath!).Scores.Select(s => s.Value), Is.EqualTo(new[] { 0.970, 0.975, 0.977 }));
    }

    [Test]
    public void A_baseline_whose_seeds_agreed_still_tolerates_the_minimum_and_an_improvement_passes_with_a_file_to_accept()
    {
        string baseline = _folder.File("m.baseline.json");
        BaselineFile.Write(Scores(0.98, 0.98, 0.98), baseline);

        Assert.That(Baseline.Check(Scores(0.9785, 0.979, 0.985), baseline, accept: false).Outcome, Is.EqualTo(BaselineOutcome.Matched));
        Assert.That(Baseline.Check(Scores(0.977, 0.977, 0.98), baseline, accept: false).Outcome, Is.EqualTo(BaselineOutcome.Regressed));
        var improved = Baseline.Check(Scores(0.99, 0.99, 0.99), baseline, accept: false);
        Assert.That((improved.Outcome, improved.Passed, File.Exists(improved.ReceivedPath)), Is.EqualTo((BaselineOutcome.Improved, true, true)));
    }

    [Test]
    public void Accepting_writes_the_received_distribution_as_the_baseline()
    {
        string baseline = _folder.File("m.baseline.json");
        BaselineFile.Write(Scores(0.98, 0.98, 0.98), baseline);

        var accepted = Baseline.Check(Scores(0.5, 0.6, 0.7), baseline, accept: true);

        Assert.That(accepted.Outcome, Is.EqualTo(BaselineOutcome.Accepted));
        Assert.That(BaselineFile.Read(baseline).Median, Is.EqualTo(0.6));
    }

    [Test]
    public void One_run_with_the_accept_variable_set_records_the_received_distribution_through_the_nunit_constraint()
    {
        string baseline = _folder.File("gru.baseline.json");
        BaselineFile.Write(Scores(0.98, 0.98, 0.98), baseline);
        Environment.SetEnvironmentVariable(Baseline.AcceptVariable, "1");
        try
        {
            Assert.That(Scores(0.5, 0.6, 0.7), Matches.Baseline(baseline));
        }
        finally
        {
            Environment.SetEnvironmentVariable(Baseline.AcceptVariable, null);
        }

        Assert.That(BaselineFile.Read(baseline).Median, Is.EqualTo(0.6));
        Assert.Throws<AssertionException>(() => Assert.That(Scores(0.3, 0.3, 0.3), Matches.Baseline(baseline)), "without the variable, checked again");
    }

    [TestCase("""{ "format": 2 }""", "it is not a baseline of format 1")]
    [TestCase("""{ "format": 1, "machine": "m", "threads": 1, "scores": [] }""", "it needs a machine, a thread count and 1 to 10,000 scores")]
    [TestCase("""{ "format": 1, "machine": "m", "threads": 1, "scores": [ { "seed": 1, "score": "high" } ] }""", "score 1 is not a seed and a finite score")]
    [TestCase("not json", "it is not valid JSON")]
    public void A_damaged_or_crafted_baseline_is_named_in_one_sentence(string contents, string problem)
    {
        string baseline = _folder.File("m.baseline.json");
        File.WriteAllText(baseline, contents);

        var error = Assert.Throws<InvalidDataException>(() => Baseline.Check(Scores(0.9), baseline, accept: false))!;

        Assert.That(error.Message, Is.EqualTo($"{baseline} is not a baseline file ({problem}); delete it and record a new baseline."));
    }

    [Test]
    public void The_nunit_constraint_passes_within_the_baseline_and_fails_with_the_verdicts_message()
    {
        string baseline = _folder.File("gru.baseline.json");
        BaselineFile.Write(Scores(0.980, 0.984, 0.986), baseline);

        Assert.That(Scores(0.981, 0.983, 0.985), Matches.Baseline(baseline));
        var failure = Assert.Throws<AssertionException>(() => Assert.That(Scores(0.90, 0.91, 0.92), Matches.Baseline(baseline)))!;

        Assert.That(failure.Message, Does.Contain("Regressed: the median is 0.0740 below the baseline's").And.Contain(_folder.File("gru.received.json")));
    }

    [Test]
    public void The_nunit_constraint_finds_a_named_baseline_beside_the_test_file()
    {
        var constraint = Matches.Baseline("gru-waves", testFile: "/src/tests/GruTests.cs");

        Assert.That(constraint.Description, Does.EndWith(Path.Combine("/src/tests", "gru-waves.baseline.json")));
    }

    [TestCase("../outside")]
    [TestCase("a\\b")]
    [TestCase("sub/name")]
    [TestCase("..")]
    [TestCase("tab\tname")]
    [TestCase("../up.baseline.json")]
    public void A_baseline_name_that_is_not_one_file_name_is_refused(string name)
    {
        var error = Assert.Throws<ArgumentException>(() => Matches.Baseline(name, testFile: "/src/tests/GruTests.cs"))!;

        Assert.That(error.Message, Does.Contain("a baseline's name is one file name"));
        Assert.That(error.ParamName, Is.EqualTo("name"));
    }

    [Test]
    public void A_comparison_under_other_conditions_says_which_in_its_message()
    {
        string baseline = _folder.File("gru.baseline.json");
        BaselineFile.Write(new ScoreDistribution([new(1, 0.98), new(2, 0.982), new(3, 0.984)], 2, "machine A"), baseline);

        var same = Baseline.Check(new ScoreDistribution([new(1, 0.98), new(2, 0.982), new(3, 0.984)], 2, "machine A"), baseline, accept: false);
        var other = Baseline.Check(new ScoreDistribution([new(4, 0.98), new(5, 0.982)], 1, "machine B"), baseline, accept: false);

        Assert.That(same.OtherConditions, Is.Null);
        Assert.That(other.OtherConditions, Is.EqualTo("Note: the received distribution was measured with other seeds (the baseline's 1, 2, 3, received 4, 5), " +
            "another thread count (1 against the baseline's 2), another machine (below); each rounds differently, so the comparison may show that rather than a change of the model."));
        Assert.That(other.Message, Does.Contain(other.OtherConditions));
    }
}
