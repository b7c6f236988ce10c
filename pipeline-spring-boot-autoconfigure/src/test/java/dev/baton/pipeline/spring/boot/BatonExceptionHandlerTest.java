package dev.baton.pipeline.spring.boot;

import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.get;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.content;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.jsonPath;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.status;

import dev.baton.pipeline.BatchConflictException;
import dev.baton.pipeline.BatchNotFoundException;
import org.hamcrest.Matchers;
import org.junit.jupiter.api.Test;
import org.springframework.http.MediaType;
import org.springframework.test.web.servlet.MockMvc;
import org.springframework.test.web.servlet.setup.MockMvcBuilders;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

/** Baton's exceptions thrown from a host's controller become 404 and 409 problem details. */
class BatonExceptionHandlerTest {
    @RestController
    static class HostController {
        @GetMapping("/missing")
        String missing() {
            throw new BatchNotFoundException(41);
        }

        @GetMapping("/conflict")
        String conflict() {
            throw new BatchConflictException(42, "batch 42 already has a run with another input");
        }
    }

    private final MockMvc mvc = MockMvcBuilders.standaloneSetup(new HostController())
            .setControllerAdvice(new BatonExceptionHandler())
            .build();

    @Test
    void a_batch_not_found_is_a_404_problem_detail_naming_the_batch() throws Exception {
        mvc.perform(get("/missing"))
                .andExpect(status().isNotFound())
                .andExpect(content().contentTypeCompatibleWith(MediaType.APPLICATION_PROBLEM_JSON))
                .andExpect(jsonPath("$.title").value("Batch not found"))
                .andExpect(jsonPath("$.detail").value(Matchers.containsString("41")));
    }

    @Test
    void a_batch_conflict_is_a_409_problem_detail_with_the_exception_s_message() throws Exception {
        mvc.perform(get("/conflict"))
                .andExpect(status().isConflict())
                .andExpect(jsonPath("$.title").value("Batch conflict"))
                .andExpect(jsonPath("$.detail").value(Matchers.containsString("another input")));
    }
}
