package dev.rtc.init;

import dev.rtc.Slow;
import static org.assertj.core.api.Assertions.assertThat;

import dev.rtc.emit.Tool;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** SHA-512 crypt against the specification's own test vectors and against glibc, through Python's crypt or openssl. */
@Slow
class Sha512CryptTest {

  @Test
  void theSpecificationsVectors() {
    // "Unix crypt using SHA-256 and SHA-512", Ulrich Drepper, test vectors with the default 5000 rounds.
    assertThat(Sha512Crypt.hash("Hello world!", "saltstring")).isEqualTo(
        "$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1");
    // A salt longer than 16 characters is cut to 16.
    assertThat(Sha512Crypt.hash("Hello world!", "saltstringsaltstring")).startsWith("$6$saltstringsaltst$");
  }

  @Test
  void openSslAgrees(@TempDir Path tmp) {
    SecureRandom r = new SecureRandom();
    String password = Sha512Crypt.password(r, 20);
    String salt = Sha512Crypt.salt(r);
    Tool.Run o = Tool.require("openssl").run(tmp, Map.of(), "passwd", "-6", "-salt", salt, password);
    assertThat(o.exit()).as(o.all()).isZero();
    assertThat(Sha512Crypt.hash(password, salt)).isEqualTo(o.out().strip());
    assertThat(password).hasSize(20).doesNotContainPattern("[0O1lI]");
  }
}
