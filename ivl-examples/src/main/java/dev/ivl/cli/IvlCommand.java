package dev.ivl.cli;

import dev.ivl.core.IvlException;
import java.io.PrintWriter;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.UnmatchedArgumentException;

/**
 * The {@code ivl} command line: one subcommand per job. Errors print on one line and exit non-zero: 1 for invalid
 * input, files or parameters, 2 (picocli's usage error) for a command line that does not parse, with a second line
 * pointing to the command's help.
 */
@Command(
        name = "ivl",
        mixinStandardHelpOptions = true,
        versionProvider = IvlCommand.Version.class,
        description = "Transferable post-training by inverse value learning: decode with z_base + alpha * z_delta.",
        subcommands = {DemoCommand.class, GenerateCommand.class, ChatCommand.class, LogitsCommand.class,
            ConformanceCommand.class, TrainCommand.class, BenchCommand.class, AlignVocabCommand.class,
            ExperimentCommand.class, DoctorCommand.class, ServeCommand.class,
            CommandLine.HelpCommand.class})
public final class IvlCommand {
    /** Exit code for invalid input, files or parameters. */
    static final int EXIT_INPUT = 1;

    private IvlCommand() {}

    /**
     * Runs the command line.
     *
     * @param args the arguments
     */
    public static void main(String[] args) {
        // The command line never downloads: keep DJL offline (no engine download, no usage tracking).
        if (System.getProperty("ai.djl.offline") == null) {
            System.setProperty("ai.djl.offline", "true");
        }
        System.exit(commandLine().execute(args));
    }

    /** @return the configured command line, with ivl's error handling */
    static CommandLine commandLine() {
        CommandLine cli = new CommandLine(new IvlCommand());
        cli.setParameterExceptionHandler((e, args) -> {
            PrintWriter err = e.getCommandLine().getErr();
            err.println("ivl: error: " + e.getMessage());
            List<String> suggestions = e instanceof UnmatchedArgumentException unmatched
                    ? unmatched.getSuggestions() : List.of();
            err.println((suggestions.isEmpty() ? "" : "Did you mean " + String.join(" or ", suggestions) + "? ")
                    + "Try '" + e.getCommandLine().getCommandSpec().qualifiedName() + " --help'.");
            return CommandLine.ExitCode.USAGE;
        });
        cli.setExecutionExceptionHandler((e, cmd, parseResult) -> {
            PrintWriter err = cmd.getErr();
            if (e instanceof IvlException) {
                err.println("ivl: error: " + e.getMessage());
                return EXIT_INPUT;
            }
            err.println("ivl: internal error: " + e);
            e.printStackTrace(err);
            return CommandLine.ExitCode.SOFTWARE;
        });
        return cli;
    }

    /** Reads the version from the jar manifest. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = IvlCommand.class.getPackage().getImplementationVersion();
            return new String[] {"ivl " + (v == null ? "(development build)" : v)};
        }
    }
}
