package dev.baton.pipeline.spring.boot;

import dev.baton.pipeline.BatchConflictException;
import dev.baton.pipeline.BatchNotFoundException;
import org.springframework.http.HttpStatus;
import org.springframework.http.ProblemDetail;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;

/**
 * Answers Baton's exceptions thrown from the host's own MVC controllers as RFC 9457 problem details:
 * {@link BatchNotFoundException} 404, {@link BatchConflictException} 409, with the exception's message (which names
 * the batch and says what to do) as the detail. Define a bean of this type to answer otherwise.
 */
@RestControllerAdvice
public class BatonExceptionHandler {
    /**
     * @param e the exception
     * @return 404
     */
    @ExceptionHandler(BatchNotFoundException.class)
    public ProblemDetail notFound(BatchNotFoundException e) {
        ProblemDetail problem = ProblemDetail.forStatusAndDetail(HttpStatus.NOT_FOUND, e.getMessage());
        problem.setTitle("Batch not found");
        return problem;
    }

    /**
     * @param e the exception
     * @return 409
     */
    @ExceptionHandler(BatchConflictException.class)
    public ProblemDetail conflict(BatchConflictException e) {
        ProblemDetail problem = ProblemDetail.forStatusAndDetail(HttpStatus.CONFLICT, e.getMessage());
        problem.setTitle("Batch conflict");
        return problem;
    }
}
