package io.lakeloop.app;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import io.lakeloop.common.job.Job;
import io.lakeloop.common.job.JobContext;
import io.lakeloop.common.table.Lakehouse;
import io.lakeloop.modeling.train.TrainJob;
import io.lakeloop.monitoring.drift.DriftJob;
import io.lakeloop.monitoring.evaluate.EvaluateJob;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The structure the code keeps (CONTRIBUTING.md): packages without cycles, engines that never take
 * the job context, and a composition root nothing depends on. Checked on the compiled classes of
 * every production module (this module sees them all).
 */
class ArchitectureTest {
  private static JavaClasses classes;

  @BeforeAll
  static void importClasses() {
    classes =
        new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            // nor the test classes other modules share as test jars (common's fixtures)
            .withImportOption(location -> !location.contains("-tests.jar"))
            .importPackages("io.lakeloop");
    // every module's classes are seen, not only this one's (the rules would pass on too few)
    for (Class<?> c :
        List.of(
            Lakehouse.class, EvaluateJob.class, DriftJob.class, TrainJob.class, Lakeloop.class)) {
      assertThat(classes.contain(c)).as(c.getName()).isTrue();
    }
  }

  @Test
  void noPackageCycles() {
    slices().matching("io.lakeloop.(**)").should().beFreeOfCycles().check(classes);
  }

  @Test
  void onlyJobsAndTheirLauncherTakeTheJobContext() {
    noClasses()
        .that()
        .doNotImplement(Job.class)
        .and()
        .resideOutsideOfPackage("io.lakeloop.common.job..")
        .should()
        .dependOnClassesThat()
        .areAssignableTo(JobContext.class)
        .because("engines take the run's tables and explicit values (issue 24)")
        .check(classes);
  }

  @Test
  void nothingDependsOnTheCompositionRoot() {
    noClasses()
        .that()
        .resideOutsideOfPackage("io.lakeloop.app..")
        .should()
        .dependOnClassesThat()
        .resideInAPackage("io.lakeloop.app..")
        .check(classes);
  }
}
