package dev.baton.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * One process's line of {@code /proc/<pid>/stat} (Linux): its parent and its CPU times in clock ticks, and the CPU
 * a PostgreSQL server's processes have used, from its postmaster's pid.
 *
 * @param pid the process
 * @param parentPid its parent
 * @param userTicks {@code utime}
 * @param systemTicks {@code stime}
 * @param childrenUserTicks {@code cutime}: of its children that have exited and been waited for
 * @param childrenSystemTicks {@code cstime}
 */
record ProcStat(
        long pid, long parentPid, long userTicks, long systemTicks, long childrenUserTicks, long childrenSystemTicks) {
    private static final Path PROC = Path.of("/proc");
    private static volatile long ticksPerSecond;

    /**
     * @param pid a process
     * @return its line, or {@code null} when there is no such process or no {@code /proc}
     */
    static ProcStat read(long pid) {
        String line;
        try {
            line = Files.readString(PROC.resolve(Long.toString(pid)).resolve("stat"), StandardCharsets.US_ASCII);
        } catch (IOException | RuntimeException e) {
            return null;
        }
        return parse(pid, line);
    }

    /**
     * @param pid the process the line is of
     * @param line {@code pid (comm) state ppid …}; the command may hold spaces and parentheses
     * @return the fields, or {@code null} if the line is not of that form
     */
    static ProcStat parse(long pid, String line) {
        int close = line.lastIndexOf(')');
        if (close < 0) {
            return null;
        }
        String[] f = line.substring(close + 1).trim().split("\\s+");
        // after the command: state(3) ppid(4) … utime(14) stime(15) cutime(16) cstime(17), so index = field - 3
        if (f.length < 15) {
            return null;
        }
        try {
            return new ProcStat(
                    pid,
                    Long.parseLong(f[1]),
                    Long.parseLong(f[11]),
                    Long.parseLong(f[12]),
                    Long.parseLong(f[13]),
                    Long.parseLong(f[14]));
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /**
     * @param pid a process
     * @return whether its command is PostgreSQL's ({@code postgres} or {@code postmaster})
     */
    static boolean isPostgres(long pid) {
        try {
            String comm = Files.readString(PROC.resolve(Long.toString(pid)).resolve("comm"), StandardCharsets.UTF_8)
                    .trim();
            return comm.equals("postgres") || comm.equals("postmaster");
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /**
     * CPU the server has used so far: the postmaster's own, its exited children's (it waits for every backend it
     * starts, so a backend that exits moves its time there) and that of its live children. The difference of two
     * readings is the server's CPU in between, backends that came and went included.
     *
     * @param postmaster the postmaster's pid
     * @return nanoseconds, or -1 when the postmaster cannot be read
     */
    static long serverCpuNanos(long postmaster) {
        ProcStat root = read(postmaster);
        if (root == null) {
            return -1;
        }
        long ticks = root.userTicks + root.systemTicks + root.childrenUserTicks + root.childrenSystemTicks;
        try (DirectoryStream<Path> dirs =
                Files.newDirectoryStream(PROC, p -> isNumber(p.getFileName().toString()))) {
            for (Path dir : dirs) {
                ProcStat child = read(Long.parseLong(dir.getFileName().toString()));
                if (child != null && child.parentPid == postmaster) {
                    ticks += child.userTicks + child.systemTicks + child.childrenUserTicks + child.childrenSystemTicks;
                }
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return ticks * (1_000_000_000L / ticksPerSecond());
    }

    private static boolean isNumber(String name) {
        if (name.isEmpty()) {
            return false;
        }
        for (int i = 0; i < name.length(); i++) {
            if (!Character.isDigit(name.charAt(i))) {
                return false;
            }
        }
        return true;
    }

    /** @return {@code getconf CLK_TCK}, or 100 (Linux's value nearly everywhere) when it cannot be asked */
    static long ticksPerSecond() {
        long t = ticksPerSecond;
        if (t > 0) {
            return t;
        }
        t = 100;
        try {
            Process p = new ProcessBuilder("getconf", "CLK_TCK")
                    .redirectErrorStream(true)
                    .start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).trim();
            if (p.waitFor(5, TimeUnit.SECONDS) && p.exitValue() == 0) {
                long v = Long.parseLong(out);
                if (v > 0 && 1_000_000_000L % v == 0) {
                    t = v;
                }
            } else {
                p.destroy();
            }
        } catch (IOException | NumberFormatException e) {
            // keep 100
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        ticksPerSecond = t;
        return t;
    }
}
