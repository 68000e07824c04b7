package dev.kiln.cli;

import dev.kiln.vmm.ByteSize;
import dev.kiln.vmm.VmmException;
import java.nio.file.Path;
import java.time.Duration;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** picocli converters for kiln's option types: a bad value is a usage error (exit code 2) that says what to write. */
final class Converters {
    private Converters() {
    }

    private static TypeConversionException usage(CliException e) {
        return new TypeConversionException(e.getMessage() + e.hint().map(h -> "; " + h).orElse(""));
    }

    static final class DurationConverter implements ITypeConverter<Duration> {
        @Override
        public Duration convert(String value) {
            try {
                return Durations.parse(value);
            } catch (CliException e) {
                throw usage(e);
            }
        }
    }

    static final class ByteSizeConverter implements ITypeConverter<ByteSize> {
        @Override
        public ByteSize convert(String value) {
            try {
                return ByteSize.parse(value);
            } catch (VmmException | ArithmeticException e) {
                throw new TypeConversionException("'" + value + "' is not a size; write it like 256M, 1G or 1048576");
            }
        }
    }

    static final class NetRateConverter implements ITypeConverter<RateSpec> {
        @Override
        public RateSpec convert(String value) {
            try {
                return RateSpec.parseNet(value);
            } catch (CliException e) {
                throw usage(e);
            }
        }
    }

    static final class DiskRateConverter implements ITypeConverter<RateSpec> {
        @Override
        public RateSpec convert(String value) {
            try {
                return RateSpec.parseDisk(value);
            } catch (CliException e) {
                throw usage(e);
            }
        }
    }

    static final class DiskConverter implements ITypeConverter<DiskSpec> {
        @Override
        public DiskSpec convert(String value) {
            try {
                return DiskSpec.parse(value, Path.of(""));
            } catch (CliException e) {
                throw usage(e);
            }
        }
    }
}
